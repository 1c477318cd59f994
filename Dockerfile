FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml setup.py README.md ./
COPY rentcal rentcal
COPY rental rental
COPY calendars calendars
COPY portal portal
COPY widget widget
COPY tasks tasks
COPY sandboxes sandboxes
COPY migrations migrations
COPY templates templates
RUN pip install --no-cache-dir .
ENV PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["rentcal", "web", "--host", "0.0.0.0", "--port", "8000"]
