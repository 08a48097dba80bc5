"""SLOs as code: specs (slo/specs/) -> model -> recording rules, alerts, dashboards."""
