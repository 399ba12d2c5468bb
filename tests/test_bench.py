"""The benchmark command runs end to end and reports every figure (speed goals are not asserted here)."""
import json

from playground.cli import main


def test_bench_quick_reports_every_measurement(capsys):
    assert main(["bench", "--quick", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    for key in ("default task (circle, [4,2] tanh, batch 10)", "6x8 spiral, 7 features",
                "LeNet-like, digits 8x8, batch 32", "snapshot_ms_6x8", "accuracy", "image_views_shapes_28x28",
                "live_default task", "live_6x8 spiral", "compare_2_runs_default_task", "compare_4_runs_default_task",
                "LSTM-16, recall T=20, batch 50", "GRU-16, brackets T=20, batch 50", "sequence_views_lstm16_T100"):
        assert key in results
    assert results["default task (circle, [4,2] tanh, batch 10)"]["trainer_epochs_per_s"] > 0
    assert 0 < results["snapshot_ms_6x8"]["median_ms"] < 10_000
    assert results["accuracy"]["digits"]["epochs"] >= 1
    for runs in (2, 4):
        compare = results[f"compare_{runs}_runs_default_task"]
        assert compare["runs"] == runs and compare["epochs_per_s_each"] > 0
        assert compare["epochs_equal_at_every_frame"]
        # Each run's speed, on as many pool processes as the runs (or the pool) allow.
        assert len(compare["epochs_per_s_per_run"]) == runs and compare["hosts"] == min(runs, compare["pool_size"])
    assert results["loss_landscape_30x30"]["default task"]["random_median_ms"] > 0
    assert results["LSTM-16, recall T=20, batch 50"]["ratio"] > 0
    assert results["sequence_views_lstm16_T100"]["length"] == 100
