# syntax=docker/dockerfile:1
# One image for every component of the platform and the harness. The service is chosen
# by the SERVICE build argument (default command) or by the command the chart sets:
#   docker build --build-arg SERVICE=order_service -t commerce/order-service .
#   docker run commerce/order-service serve --no-migrate

ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md ./
COPY harness/ harness/
COPY system_under_test/ system_under_test/
COPY slo/ slo/
COPY alerts/ alerts/
COPY dashboards/ dashboards/
COPY load_scenarios/ load_scenarios/
COPY synthetic_probes/ synthetic_probes/
COPY chaos_experiments/ chaos_experiments/
COPY reports/ reports/
# Extra tools for the harness pods (e.g. "locust chaostoolkit chaostoolkit-kubernetes").
ARG EXTRA_PACKAGES=""
RUN pip install . ${EXTRA_PACKAGES}

FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE=gateway
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SERVICE=${SERVICE}
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
# Experiments and locustfiles are run by path, so they stay readable under /app.
WORKDIR /app
COPY --from=build --chown=root:root /src/chaos_experiments/ chaos_experiments/
COPY --from=build --chown=root:root /src/load_scenarios/ load_scenarios/
USER 10001:10001
EXPOSE 8000-8006
# exec keeps Python as PID 1 so it receives SIGTERM from the kubelet.
ENTRYPOINT ["/bin/sh", "-c", "exec python -m \"system_under_test.${SERVICE}\" \"$@\"", "--"]
CMD ["serve"]
