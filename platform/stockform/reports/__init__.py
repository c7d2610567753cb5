"""Reports rebuilt from the movement ledger: stock value, COGS, turnover, ABC, ageing, slow
movers, stock-outs and stock over time (see README.md beside this file). No Flask."""
