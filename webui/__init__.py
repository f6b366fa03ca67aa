"""What the web app shows and serves, apart from its wiring (``app.py``): HTML for cards,
summaries, tables and the status panel (render), the interface's words in English, Spanish and
French (i18n), shared-search URL parameters (params), the corpus file route (files) and the
login and listening policy (access)."""
