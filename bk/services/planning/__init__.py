"""The yarn plan's layers, imported downwards only: calendar → demand → schedule → supply → balance → actions →
reconcile; ``bk.services.yarn`` runs them. This file imports none of them (importing the calendar alone stays
light)."""
