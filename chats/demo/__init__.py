"""Realistic demo data: ``seed_demo`` for the two demo organizations, and the reusable
``generate_organization_data`` that benchmarks call for one (large) organization."""

from chats.demo.generator import GenerationSummary, generate_organization_data
from chats.demo.seed import DEMO_PASSWORD, DemoOrganizationsExist, seed_demo

__all__ = [
    "DEMO_PASSWORD", "DemoOrganizationsExist", "GenerationSummary", "generate_organization_data", "seed_demo",
]
