"""Drill-down: the conversations behind a figure (chats or tickets, filtered as the figure was
counted) and each conversation's timeline."""
