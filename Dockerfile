# The Explorer behind HAProxy in one image: `make serve`'s launcher (deploy/serve.py) is the entry.
#   docker build -t energy-latency-frontier .
#   docker run --rm -p 8501:8501 energy-latency-frontier                 # HAProxy + one worker per CPU
#   docker run --rm -p 8501:8501 energy-latency-frontier --workers 4
# compose.yaml runs the same image as N single-worker replicas behind one HAProxy container.
FROM python:3.11-slim

# Debian's HAProxy (2.6 on bookworm, the version deploy/haproxy.cfg is tested with)
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy \
 && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
# dependencies first, so that a code change does not reinstall them
COPY pyproject.toml README.md ./
COPY core/ core/
RUN pip install .
COPY . .

RUN useradd --create-home --uid 10001 elf
USER elf
EXPOSE 8501
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=3)"
ENTRYPOINT ["python", "deploy/serve.py"]
CMD ["--port", "8501"]
