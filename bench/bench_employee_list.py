"""The employee list at scale: the HR page and the API over N generated employees.

Times are server time measured around Django's test client: middleware, view,
queries and template rendering, without network or a browser.
"""

from __future__ import annotations

import random
import time
from typing import Any
from urllib.parse import urlencode

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.generator import GeneratedCompany, generate
from bench.timing import summary_ms
from jixiao.core.models import ApiToken

SORTS = ("number", "-number", "name", "-name", "hire_date", "-hire_date", "department")
PAGE_SIZE = 50

#: Sessions are made as a password login makes them (that backend loads the user).
SESSION_BACKEND = "jixiao.core.auth_backends.UsernameOrEmailBackend"


def query_variants(target: GeneratedCompany, count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` list queries: random pages, sorts and filters, the same for a given seed."""
    rng = random.Random(seed)
    pages = max(1, target.employees // PAGE_SIZE)
    variants: list[dict[str, Any]] = []
    for index in range(count):
        params: dict[str, Any] = {"sort": SORTS[index % len(SORTS)]}
        kind = index % 6
        if kind == 0:
            params["page"] = rng.randint(1, pages)
        elif kind == 1:
            params["department"] = rng.choice(target.department_ids)
        elif kind == 2:
            params["status"] = "active"
            params["page"] = rng.randint(1, max(1, pages // 2))
        elif kind == 3:
            params["job_family"] = rng.choice(["sales", "rd", "production", "office"])
        elif kind == 4:
            params["q"] = rng.choice(["王", "李", "张伟", "E0012", "陈"])
        else:
            params["tag"] = rng.choice(target.tag_ids)
        variants.append(params)
    return variants


def _measure(client: Client, urls: list[str], headers: dict[str, str]) -> list[float]:
    for url in urls[:5]:  # warm caches and lazy imports
        client.get(url, headers=headers)
    durations: list[float] = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        durations.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
    return durations


def _queries_of(client: Client, url: str, headers: dict[str, str]) -> int:
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        client.get(url, headers=headers)
    return len(captured)


def run(
    *, employees: int = 10_000, seed: int = 0, requests: int = 200, companies: int = 1
) -> dict[str, Any]:
    started = time.perf_counter()
    generated = generate(companies=companies, employees=employees, seed=seed)
    generate_s = time.perf_counter() - started
    target = generated[0]
    variants = query_variants(target, requests, seed)

    page = Client()
    page.force_login(target.hr, backend=SESSION_BACKEND)
    page_urls = [f"/org/employees/?{urlencode(v, doseq=True)}" for v in variants]

    raw, prefix, digest = ApiToken.generate()
    ApiToken.objects.create(
        company=target.company, user=target.hr, name="bench", token_prefix=prefix, token_hash=digest
    )
    api = Client()
    api_headers = {"Authorization": f"Bearer {raw}"}
    api_urls = [
        f"/api/v1/org/employees?{urlencode({**v, 'page_size': PAGE_SIZE}, doseq=True)}"
        for v in variants
    ]

    page_times = _measure(page, page_urls, {})
    api_times = _measure(api, api_urls, api_headers)
    manager = Client()
    manager.force_login(target.manager, backend=SESSION_BACKEND)
    manager_times = _measure(manager, page_urls[: max(10, requests // 4)], {})
    return {
        "employees": sum(g.employees for g in generated),
        "companies": companies,
        "generate_s": round(generate_s, 2),
        "page_hr": summary_ms(page_times),
        "page_manager": summary_ms(manager_times),
        "api_hr": summary_ms(api_times),
        "queries": {
            "page_first": _queries_of(page, page_urls[0], {}),
            "api_first": _queries_of(api, api_urls[0], api_headers),
        },
        "urls_sample": {"page": page_urls[:3], "api": api_urls[:3]},
    }
