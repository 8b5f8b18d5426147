"""Subjects of the 2018 general-education programme, grades, cognitive levels and topic tree."""
