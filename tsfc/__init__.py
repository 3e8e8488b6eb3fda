"""tsfc: recurrent time-series forecasting from a CSV, on the command line."""

__version__ = "0.1.0"
