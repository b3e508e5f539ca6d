"""Working-day calendar on hand-checked dates (England and Wales bank holidays)."""

import pandas as pd

from cscbook.config.calendar import add_working_days, is_working_day, working_days_between


def wd(start: str, end: str) -> int:
    return int(working_days_between(pd.Series([pd.Timestamp(start)]), pd.Series([pd.Timestamp(end)])).iloc[0])


def test_same_day_is_zero():
    assert wd("2024-01-08", "2024-01-08") == 0


def test_ordinary_week():
    # Mon 8 Jan 2024 -> Mon 15 Jan 2024: Mon-Fri 8-12 Jan counted = 5.
    assert wd("2024-01-08", "2024-01-15") == 5


def test_christmas_2023():
    # Fri 22 Dec (counted), Sat 23, Sun 24, Mon 25 Christmas, Tue 26 Boxing Day -> Wed 27 = 1.
    assert wd("2023-12-22", "2023-12-27") == 1
    assert wd("2023-12-27", "2023-12-22") == -1


def test_easter_2024():
    # Thu 28 Mar (counted), Fri 29 Good Friday, Sat, Sun, Mon 1 Apr Easter Monday -> Tue 2 Apr = 1.
    assert wd("2024-03-28", "2024-04-02") == 1


def test_platinum_jubilee_2022():
    # Wed 1 Jun (counted), Thu 2 Jun spring bank holiday (moved), Fri 3 Jun Jubilee -> Mon 6 Jun = 1.
    assert wd("2022-06-01", "2022-06-06") == 1
    # The spring bank holiday moved from Mon 30 May to 2 Jun, so 30 May 2022 was a working day.
    flags = is_working_day(pd.Series(pd.to_datetime(["2022-05-30", "2022-06-02", "2022-06-03"])))
    assert flags.tolist() == [True, False, False]


def test_state_funeral_2022():
    # Fri 16 Sep (counted), weekend, Mon 19 Sep State Funeral -> Tue 20 Sep = 1.
    assert wd("2022-09-16", "2022-09-20") == 1


def test_coronation_2023():
    # Fri 5 May (counted), weekend, Mon 8 May Coronation -> Tue 9 May = 1;
    # Fri 28 Apr -> Tue 9 May: 28 Apr, 2, 3, 4, 5 May (1 May early May bank holiday) = 5.
    assert wd("2023-05-05", "2023-05-09") == 1
    assert wd("2023-04-28", "2023-05-09") == 5


def test_missing_dates_give_na():
    out = working_days_between(pd.Series([pd.Timestamp("2024-01-08"), pd.NaT]), pd.Series([pd.NaT, pd.NaT]))
    assert out.isna().all()


def test_add_working_days_over_christmas():
    out = add_working_days(pd.Series([pd.Timestamp("2023-12-22")]), 1)
    assert out.iloc[0] == pd.Timestamp("2023-12-27")


def test_age_in_years_counts_the_birthday_on_the_day():
    import pandas as pd

    from cscbook.config.calendar import age_in_years

    dob = pd.Series(pd.to_datetime(["2008-02-29", "2006-12-31", "2007-01-01", None]))
    # On 31 Dec 2024: 16 (leap-day birthday passed), 18 (birthday today), 17 (18 tomorrow), unknown.
    assert age_in_years(dob, pd.Timestamp("2024-12-31")).tolist() == [16, 18, 17, pd.NA]
    # On 28 Feb 2025 the leap-day child is still 16; per-row dates work too.
    on = pd.Series(pd.to_datetime(["2025-02-28", "2024-12-30", "2025-01-01", "2025-01-01"]))
    assert age_in_years(dob, on).tolist() == [16, 17, 18, pd.NA]


# ----------------------------------------------------------------------------- DfE's convention
def dfe(start: str, end: str) -> int:
    from cscbook.config.calendar import working_days_dfe

    return int(working_days_dfe(pd.Series([pd.Timestamp(start)]), pd.Series([pd.Timestamp(end)])).iloc[0])


def test_dfe_count_includes_the_start_day_across_a_bank_holiday():
    # Spring bank holiday Mon 27 May 2024. Fri 24 May -> Fri 31 May:
    # DfE counts Fri 24, Tue 28, Wed 29, Thu 30, Fri 31 = 5 (Mon 27 is not a working day);
    # the book counts Fri 24, Tue 28, Wed 29, Thu 30 (end excluded) = 4 working days after the start.
    assert dfe("2024-05-24", "2024-05-31") == 5
    assert wd("2024-05-24", "2024-05-31") == 4
    # same working day: DfE 1, the book 0
    assert dfe("2024-05-24", "2024-05-24") == 1 and wd("2024-05-24", "2024-05-24") == 0
    # a start on the bank holiday itself: DfE counts only Tue 28 = 1; the book counts [27, 28) = 0
    assert dfe("2024-05-27", "2024-05-28") == 1 and wd("2024-05-27", "2024-05-28") == 0


def test_dfe_count_over_christmas_and_new_year():
    # Fri 20 Dec 2024 -> Fri 3 Jan 2025; bank holidays 25, 26 Dec and 1 Jan.
    # Working days 20, 23, 24, 27, 30, 31 Dec, 2, 3 Jan = 8 (DfE); the book leaves out 3 Jan: 7.
    assert dfe("2024-12-20", "2025-01-03") == 8
    assert wd("2024-12-20", "2025-01-03") == 7


def test_dfe_count_keeps_index_and_missing():
    from cscbook.config.calendar import working_days_dfe

    start = pd.Series(pd.to_datetime(["2024-05-24", None]), index=[10, 11])
    end = pd.Series(pd.to_datetime(["2024-05-31", "2024-05-31"]), index=[10, 11])
    out = working_days_dfe(start, end)
    assert out.index.tolist() == [10, 11]
    assert out.iloc[0] == 5 and pd.isna(out.iloc[1])
