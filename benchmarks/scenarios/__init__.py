"""Planner scenarios: a seeded orthodontic demand generator, presets, and file loading."""

from benchmarks.scenarios.generator import PRESETS, generate
from benchmarks.scenarios.io import ScenarioError, load, load_template, save_csv, save_json
from benchmarks.scenarios.model import Block, PartSpec, Request, ResourceSpec, Scenario, TypeSpec

__all__ = [
    "PRESETS",
    "Block",
    "PartSpec",
    "Request",
    "ResourceSpec",
    "Scenario",
    "ScenarioError",
    "TypeSpec",
    "generate",
    "load",
    "load_template",
    "save_csv",
    "save_json",
]
