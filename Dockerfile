# syntax=docker/dockerfile:1
# The platform's Airflow image: the official apache/airflow image extended with the locked
# environment (uv.lock), the `welfare` package, the DAGs, the plugin and the dbt project.
# One image for every Airflow service of docker-compose.yml (api-server, scheduler, dag-processor,
# triggerer, Celery workers, init).
#
#   docker build -t welfare-airflow:$(git rev-parse --short HEAD) .
#
# AIRFLOW_VERSION must be the apache-airflow version pinned in uv.lock and PYTHON_VERSION the
# project's Python (tests/test_deployment_files.py checks both): the image's Airflow and every
# library under it are exactly the ones the tests ran with.
ARG AIRFLOW_VERSION=3.3.2
ARG PYTHON_VERSION=3.11
ARG UV_VERSION=0.13.8

FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv

# -- 1. uv.lock → a requirements file with hashes (runtime dependencies only, not the project) --
FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION} AS requirements
COPY --from=uv /uv /tmp/uv
WORKDIR /tmp/welfare
COPY pyproject.toml uv.lock ./
RUN /tmp/uv export --frozen --no-dev --no-emit-project --format requirements-txt --output-file requirements.txt

# -- 2. the image ---------------------------------------------------------------------------------
FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}
ARG AIRFLOW_VERSION

# Liberation Serif: metric-compatible with Times New Roman (Decree 30/2020), full Vietnamese
# coverage, for the PDF reports (welfare.reports.fonts falls back to DejaVu without it).
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-liberation2 \
    && apt-get autoremove -yqq --purge \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*
USER airflow

# Every dependency at its locked version, checked against the lock's hashes.
COPY --from=requirements /tmp/welfare/requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.txt \
    && python -c "import airflow, sys; v = airflow.__version__; sys.exit(0 if v == '${AIRFLOW_VERSION}' else f'uv.lock installed Airflow {v}, the image is ${AIRFLOW_VERSION}')"

# The package itself (include/welfare and expectations/), without touching the dependencies above.
ENV WELFARE_PROJECT_DIR=/opt/airflow/welfare
COPY --chown=airflow:0 pyproject.toml README.md ${WELFARE_PROJECT_DIR}/
COPY --chown=airflow:0 include/ ${WELFARE_PROJECT_DIR}/include/
COPY --chown=airflow:0 expectations/ ${WELFARE_PROJECT_DIR}/expectations/
RUN pip install --no-cache-dir --no-deps ${WELFARE_PROJECT_DIR} \
    && rm -rf ${WELFARE_PROJECT_DIR}/include ${WELFARE_PROJECT_DIR}/expectations

# The dbt project (found through WELFARE_PROJECT_DIR), the DAGs and the plugin that registers the
# calendar timetable, at the image's default dags and plugins folders.
COPY --chown=airflow:0 dbt_project/ ${WELFARE_PROJECT_DIR}/dbt_project/
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 include/welfare/orchestration/plugins/ /opt/airflow/plugins/

# The data folder (landing zone, archive, feedback, reports …) is a volume in docker-compose.yml.
ENV WELFARE_DATA_DIR=/opt/airflow/data \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/airflow/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/airflow/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False
RUN mkdir -p ${WELFARE_DATA_DIR} \
    && welfare --help >/dev/null \
    && python -c "from welfare.cosmos_config import dbt_executable, dbt_project_path; assert dbt_executable().exists(), dbt_executable(); assert (dbt_project_path() / 'dbt_project.yml').exists()"
