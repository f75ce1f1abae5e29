"""RoadExtract compute backend: HTTP service, jobs, geo core and the extraction methods.

Never imports qgis. Runs in its own virtual environment (``make install``).
"""

__version__ = "0.1.0"
