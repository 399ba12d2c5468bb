"""End-to-end: the Export menu downloads the trained weights, and Load weights puts them back."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser import ARTIFACTS, button, metric, metric_locator, open_page, running_app
from playground.export.weights import read_spec, read_weights
from playground.spec import Spec

pytestmark = pytest.mark.e2e


def test_export_weights_then_load_them_back(browser, tmp_path):
    with running_app() as url:
        page = open_page(browser, url, 1280, 900)
        for _ in range(3):
            button(page, "step").click()
        expect(metric_locator(page, "Epoch")).to_contain_text("3",
                                                                                                       timeout=60_000)
        trained_loss = metric(page, "Test loss")
        page.get_by_role("button", name="Share").click()
        with page.expect_download(timeout=120_000) as download:
            page.get_by_role("button", name="Weights (.safetensors)", exact=True).click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        assert path.name == "circle-4-2.safetensors"
        data = path.read_bytes()
        assert read_spec(data) == Spec()
        assert set(read_weights(data)[1]) == {"dense1.linear.weight", "dense1.linear.bias", "dense2.linear.weight",
                                              "dense2.linear.bias", "output.weight", "output.bias"}
        page.keyboard.press("Escape")
        button(page, "reset").click()
        expect(metric_locator(page, "Test loss")).not_to_contain_text(
            trained_loss, timeout=60_000)
        page.get_by_role("button", name="Share").click()
        page.locator(".st-key-upload_weights input[type=file]").set_input_files(str(path))
        expect(page.get_by_text("Loaded 6 weight tensors from circle-4-2.safetensors")).to_be_visible(timeout=60_000)
        page.keyboard.press("Escape")
        # The reloaded model is the trained one: the same test loss as before the download.
        expect(metric_locator(page, "Test loss")).to_contain_text(
            trained_loss, timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "export-load-weights.png"))
