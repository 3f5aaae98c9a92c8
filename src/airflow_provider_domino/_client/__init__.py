"""The sans-I/O wire core of the Domino client and its two thin transports.

Nothing in this package imports Airflow: the hook (``hooks/domino.py``) is the Airflow glue on top.
"""
