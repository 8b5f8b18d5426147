"""Baseline for the benchmarks: the smallest Flask app, served with the same gunicorn settings.

Its throughput is what the machine, gunicorn and Flask give before any HocLieu code runs;
``tests.load.run`` reports every HocLieu endpoint as a fraction of it.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return {"message": "xin chào"}
