"""The baseline: a bare Flask route that answers a constant 302."""
from flask import Flask, redirect

app = Flask(__name__)


@app.get("/s/<slug>")
def scan(slug):
    response = redirect("https://example.com/landing", 302)
    response.headers["Cache-Control"] = "no-store"
    return response
