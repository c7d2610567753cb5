# Example gunicorn settings: gunicorn -c config/gunicorn.conf.py 'stockform.app:create_app()'
# Every process reads its settings from STOCKFORM_* variables (see README, "Settings").
bind = "0.0.0.0:8000"
workers = 4
timeout = 30
accesslog = "-"
