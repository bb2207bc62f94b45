"""Evidence for auditors: locked audit log retention, alerts, dashboards and a record of every deploy."""
