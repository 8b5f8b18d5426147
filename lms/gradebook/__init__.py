"""Sổ điểm (gradebook): Thông tư 22/2021 and 27/2020 scores, results, locks and history."""
