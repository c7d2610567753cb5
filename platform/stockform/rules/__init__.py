"""Warnings from the template's rules, evaluated in SQL over every row of stock (no Flask)."""
