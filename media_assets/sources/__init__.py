"""dlt sources for the Picsart and Shotstack REST APIs: plain dlt packages with no Dagster import."""
