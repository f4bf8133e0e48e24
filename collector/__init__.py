"""cdn-exporter: Prometheus metrics from CDN providers' reporting APIs."""

__version__ = "0.1.0"
