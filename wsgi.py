"""Entry point for the dev server (flask --app wsgi run) and gunicorn (gunicorn wsgi:app)."""
from bridge import create_app

app = create_app()
