"""Chipao (ชี้เป้า): poverty-eradication dashboard for Thailand's ศจพ. centres."""
