import gc
import threading

from xcert_app.gc_pause import collector_paused


def test_pause_restores_collector():
    assert gc.isenabled()

    with collector_paused():
        assert not gc.isenabled()

    assert gc.isenabled()


def test_nested_pause_ends_with_outer():
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()

    assert gc.isenabled()


def test_pause_keeps_disabled_collector_off():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_pause_in_overlapping_threads():
    first_inside = threading.Event()
    release_first = threading.Event()

    def first():
        with collector_paused():
            first_inside.set()
            release_first.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    first_inside.wait(5)
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
    release_first.set()
    thread.join(5)

    assert gc.isenabled()


def test_pause_restores_collector_after_error():
    try:
        with collector_paused():
            raise RuntimeError("stop")
    except RuntimeError:
        pass

    assert gc.isenabled()
