"""PolicyStore's hot reload against real save patterns (real files, real watchfiles,
real threads), loading of folders (links, unreadable entries) and the digest's
independence from how the policy's paths are spelled."""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

import engine
from helpers import AT

BASE = "category email\npurpose billing basis contract\npermit billing on email\n"
FORBID = "rule stop: forbid billing on email because \"not now\"\n"
WHOLE = BASE + FORBID
BILLING = {"purpose": "billing", "categories": ["email"], "destination": "DE", "at": AT}
QUIET_MS = 800  # the stores' settle time: far longer than any pause inside one save below
PAUSE_S = 0.04  # the pause inside a non-atomic save (on main, longer than watchfiles' step)


def wait_for(condition, timeout=30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def digest_of(tmp_path: Path, files: dict[str, str]) -> str:
    """The digest of a tree holding `files`, loaded from a fresh folder."""
    folder = Path(tmp_path / f"expected-{len(list(tmp_path.iterdir()))}")
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return engine.load_policy(folder).digest


class Reader:
    """Evaluates the forbidden event in a tight loop, keeping every allow it sees."""

    def __init__(self, store: engine.PolicyStore):
        self.store, self.allows, self.count = store, [], 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            decision = self.store.evaluate(BILLING)
            if decision.allowed:
                self.allows.append(decision.digest)
            self.count += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(30)
        assert not self.thread.is_alive()


# ---- swapping, reporting, watching ------------------------------------------------------------------

GOOD = "category email\npurpose billing basis contract\npermit billing on email\n"
OTHER = "category email\npurpose billing basis contract\nforbid billing on email\n"
BROKEN = "category email\npurpose billing basis contract\npermit billing on emial\n"
def test_store_reload_swaps_and_keeps_the_last_good_policy(tmp_path, caplog):
    path = tmp_path / "policy.law"
    path.write_text(GOOD)
    reloaded, errors = [], []
    store = engine.PolicyStore(path, on_reload=reloaded.append, on_error=errors.append)
    first = store.digest
    assert store.evaluate(BILLING).allowed

    path.write_text(OTHER)
    assert store.reload() is True
    assert not store.evaluate(BILLING).allowed and store.evaluate(BILLING).digest == store.digest != first
    assert reloaded == [store.policy]

    path.write_text(BROKEN)
    with caplog.at_level(logging.ERROR, logger="lawful"):
        assert store.reload() is False
    assert store.evaluate(BILLING).digest == reloaded[0].digest  # still the last good one
    assert [d.code for d in errors[0]] == [d.code for d in store.errors] and store.errors
    assert "does not compile" in caplog.text and "emial" in caplog.text

    path.write_text(OTHER)  # the same text as is served: nothing to swap
    assert store.reload() is False and store.errors == []


def test_store_first_load_must_compile(tmp_path):
    path = tmp_path / "policy.law"
    path.write_text(BROKEN)
    with pytest.raises(engine.PolicyError):
        engine.PolicyStore(path)


def test_store_guard_uses_the_policy_served_at_call_time(tmp_path):
    path = tmp_path / "policy.law"
    path.write_text(GOOD)
    store = engine.PolicyStore(path)

    @store.guard(event=lambda: BILLING)
    def bill():
        return engine.current_decision().digest

    assert bill() == store.digest
    path.write_text(OTHER)
    store.reload()
    with pytest.raises(engine.Denied) as caught:
        bill()
    assert caught.value.decision.digest == store.digest


def test_store_watches_files_for_real(tmp_path):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "policy.law").write_text(GOOD)
    errors = []
    with engine.PolicyStore(folder, watch=True, on_error=errors.append, debounce_ms=20) as store:
        first = store.digest
        (folder / "policy.law").write_text(OTHER)
        assert wait_for(lambda: store.digest != first), "the change was not picked up"
        assert not store.evaluate(BILLING).allowed
        second = store.digest

        (folder / "policy.law").write_text(BROKEN)
        assert wait_for(lambda: errors), "the broken change was not reported"
        assert store.digest == second and not store.evaluate(BILLING).allowed

        (folder / "notes.txt").write_text("not a policy")  # ignored
        (folder / "policy.law").write_text(GOOD)
        assert wait_for(lambda: store.digest == first)
    assert store._watcher is None


# ---- save patterns: a reader never sees the forbidden event allowed ------------------------------


def write_in_two(folder: Path, version: int):
    with open(folder / "policy.law", "w") as file:  # truncates, then two writes
        file.write(BASE + f"# version {version}\n")
        file.flush()
        os.fsync(file.fileno())
        time.sleep(PAUSE_S)
        file.write(FORBID)


def delete_then_recreate(folder: Path, version: int):
    (folder / "forbid.law").unlink()
    time.sleep(PAUSE_S)
    (folder / "forbid.law").write_text(FORBID + f"# version {version}\n")


def backup_then_write(folder: Path, version: int):
    os.replace(folder / "forbid.law", folder / "forbid.law~")
    time.sleep(PAUSE_S)
    (folder / "forbid.law").write_text(FORBID + f"# version {version}\n")
    time.sleep(PAUSE_S)
    (folder / "forbid.law~").unlink()


def rename_over(folder: Path, version: int):
    temporary = folder / ".forbid.law.tmp"
    temporary.write_text(FORBID + f"# version {version}\n")
    os.replace(temporary, folder / "forbid.law")


def configmap_swap(folder: Path, version: int):
    """What the kubelet does: a new timestamped folder, `..data` re-pointed by a rename."""
    old = os.readlink(folder / "..data")
    new = f"..2026_12_01_{version:02d}"
    (folder / new).mkdir()
    (folder / new / "base.law").write_text(BASE)
    (folder / new / "forbid.law").write_text(FORBID + f"# version {version}\n")
    os.symlink(new, folder / "..data_tmp")
    os.replace(folder / "..data_tmp", folder / "..data")
    shutil.rmtree(folder / old)


def make_configmap(folder: Path):
    folder.mkdir()
    (folder / "..2026_12_01_00").mkdir()
    (folder / "..2026_12_01_00" / "base.law").write_text(BASE)
    (folder / "..2026_12_01_00" / "forbid.law").write_text(FORBID)
    os.symlink("..2026_12_01_00", folder / "..data")
    for name in ("base.law", "forbid.law"):
        os.symlink(f"..data/{name}", folder / name)


def expected_files(save, version: int) -> dict[str, str]:
    if save is write_in_two:
        return {"policy.law": BASE + f"# version {version}\n" + FORBID}
    return {"base.law": BASE, "forbid.law": FORBID + f"# version {version}\n"}


@pytest.mark.parametrize("save", [write_in_two, delete_then_recreate, backup_then_write, rename_over,
                                  configmap_swap])
def test_a_save_never_serves_a_policy_without_its_forbid(tmp_path, save):
    folder = tmp_path / "policies"
    if save is configmap_swap:
        make_configmap(folder)
    else:
        folder.mkdir()
        if save is write_in_two:
            (folder / "policy.law").write_text(WHOLE)
        else:
            (folder / "base.law").write_text(BASE)
            (folder / "forbid.law").write_text(FORBID)
    reloads, errors = [], []
    with engine.PolicyStore(folder, watch=True, settle_ms=QUIET_MS, on_reload=reloads.append,
                            on_error=errors.append) as store, Reader(store) as reader:
        assert store.watching and not store.evaluate(BILLING).allowed
        for version in range(1, 3):
            save(folder, version)
            expected = digest_of(tmp_path, expected_files(save, version))
            assert wait_for(lambda: store.digest == expected), (save.__name__, version, store.errors)
    assert reader.count > 0 and reader.allows == [], f"{save.__name__} served an allow"
    assert errors == [] and [p.digest for p in reloads] == [
        digest_of(tmp_path, expected_files(save, v)) for v in range(1, 3)]  # no intermediate policy


def test_the_default_settle_time_covers_a_pause_inside_a_save(tmp_path):
    """A short debounce (file events grouped for 20 ms) does not shorten the settle time."""
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "policy.law").write_text(WHOLE)
    with engine.PolicyStore(folder, watch=True, debounce_ms=20) as store, Reader(store) as reader:
        write_in_two(folder, 1)
        expected = digest_of(tmp_path, expected_files(write_in_two, 1))
        assert wait_for(lambda: store.digest == expected), store.errors
    assert reader.count > 0 and reader.allows == []


def test_the_configmap_layout_loads_each_file_once_and_follows_the_swap(tmp_path):
    folder = tmp_path / "policies"
    make_configmap(folder)
    policy = engine.load_policy(folder)  # `..data/…` and `..2026…/…` are not read again
    assert policy.digest == digest_of(tmp_path, {"base.law": BASE, "forbid.law": FORBID})
    store = engine.PolicyStore(folder)
    configmap_swap(folder, 7)
    assert store.reload() is True
    assert store.digest == digest_of(tmp_path, expected_files(configmap_swap, 7))


def test_a_swapped_root_link_and_a_link_out_of_the_tree_are_followed(tmp_path):
    """`PolicyStore("current")` with `current -> releases/vN`, and a file linked from elsewhere."""
    releases, shared = tmp_path / "releases", tmp_path / "shared"
    shared.mkdir()
    (shared / "forbid.law").write_text(FORBID)
    for version in (1, 2):
        (releases / f"v{version}").mkdir(parents=True)
        (releases / f"v{version}" / "base.law").write_text(BASE + f"# v{version}\n")
        os.symlink(shared / "forbid.law", releases / f"v{version}" / "forbid.law")
    os.symlink(releases / "v1", tmp_path / "current")
    with engine.PolicyStore(tmp_path / "current", watch=True, settle_ms=50, poll_ms=200) as store, \
            Reader(store) as reader:
        os.symlink(releases / "v2", tmp_path / "current.tmp")
        os.replace(tmp_path / "current.tmp", tmp_path / "current")
        v2 = digest_of(tmp_path, {"base.law": BASE + "# v2\n", "forbid.law": FORBID})
        assert wait_for(lambda: store.digest == v2), store.errors
        (shared / "forbid.law").write_text(FORBID + "# shared\n")  # outside the policy folder
        v2_shared = digest_of(tmp_path, {"base.law": BASE + "# v2\n", "forbid.law": FORBID + "# shared\n"})
        assert wait_for(lambda: store.digest == v2_shared), store.errors
    assert reader.allows == [] and store.errors == []


# ---- unreadable parts of the tree: an error, the last good policy stays ---------------------------------


def break_subfolder(folder: Path, how: str, aside: Path):
    """Make `folder/sub` (which holds the forbid) unreadable, in ways that stop root too."""
    os.replace(folder / "sub", aside)
    if how == "dangling link":
        os.symlink(folder / "gone", folder / "sub")
    elif how == "link loop":
        os.symlink("sub", folder / "sub")
    elif how == "link to an ancestor":
        os.symlink(".", folder / "sub")
    elif how == "file replaced by a folder":
        os.replace(aside, folder / "sub")
        (folder / "sub" / "forbid.law").unlink()
        (folder / "sub" / "forbid.law").mkdir()


UNREADABLE = ["dangling link", "link loop", "link to an ancestor", "file replaced by a folder"]


@pytest.mark.parametrize("how", UNREADABLE)
def test_an_unreadable_subfolder_keeps_the_last_good_policy_and_is_reported(tmp_path, how, caplog):
    folder = tmp_path / "policies"
    (folder / "sub").mkdir(parents=True)
    (folder / "base.law").write_text(BASE)
    (folder / "sub" / "forbid.law").write_text(FORBID)
    errors = []
    store = engine.PolicyStore(folder, on_error=errors.append, settle_ms=20)
    good = store.digest
    break_subfolder(folder, how, tmp_path / "aside")
    with caplog.at_level(logging.ERROR, logger="lawful"):
        assert store.reload() is False
    assert store.digest == good and not store.evaluate(BILLING).allowed
    assert errors and errors[0] == store.errors
    assert [d.code for d in store.errors] == ["E0001"] and f"{folder}/sub" in store.errors[0].message
    assert "E0001" in caplog.text


@pytest.mark.parametrize("how", UNREADABLE)
def test_loading_a_folder_never_skips_what_it_cannot_read(tmp_path, how):
    folder = tmp_path / "policies"
    (folder / "sub").mkdir(parents=True)
    (folder / "base.law").write_text(BASE)
    (folder / "sub" / "forbid.law").write_text(FORBID)
    break_subfolder(folder, how, tmp_path / "aside")
    with pytest.raises(engine.PolicyError) as raised:
        engine.load_policy(folder)
    assert [d.code for d in raised.value.diagnostics] == ["E0001"]
    assert raised.value.diagnostics[0].message.startswith(f"`{folder}/sub")
    with pytest.raises(engine.PolicyError):
        engine.PolicyStore(folder)


def test_an_unlistable_folder_is_an_error_for_users_it_stops(tmp_path):
    """chmod 000 stops every user but root; where it stops the test's user, it is an error."""
    folder = tmp_path / "policies"
    (folder / "sub").mkdir(parents=True)
    (folder / "base.law").write_text(BASE)
    (folder / "sub" / "forbid.law").write_text(FORBID)
    (folder / "sub").chmod(0)
    try:
        try:
            os.listdir(folder / "sub")
            listable = True
        except PermissionError:
            listable = False
        if listable:  # root: the folder is read as any other
            assert engine.load_policy(folder).digest == digest_of(tmp_path, {"base.law": BASE,
                                                                            "sub/forbid.law": FORBID})
        else:
            with pytest.raises(engine.PolicyError, match="cannot be listed"):
                engine.load_policy(folder)
    finally:
        (folder / "sub").chmod(0o755)


def test_a_folder_that_changes_while_read_is_read_again(tmp_path):
    """The watcher sees an unreadable moment but serves only the settled tree."""
    folder = tmp_path / "policies"
    (folder / "sub").mkdir(parents=True)
    (folder / "base.law").write_text(BASE)
    (folder / "sub" / "forbid.law").write_text(FORBID)
    errors, reloads = [], []
    with engine.PolicyStore(folder, watch=True, settle_ms=QUIET_MS, on_error=errors.append,
                            on_reload=reloads.append) as store, Reader(store) as reader:
        os.replace(folder / "sub", tmp_path / "aside")  # the folder moved away for a moment
        os.symlink(folder / "gone", folder / "sub")
        time.sleep(PAUSE_S)
        os.unlink(folder / "sub")
        (tmp_path / "aside" / "forbid.law").write_text(FORBID + "# moved back\n")
        os.replace(tmp_path / "aside", folder / "sub")
        expected = digest_of(tmp_path, {"base.law": BASE, "sub/forbid.law": FORBID + "# moved back\n"})
        assert wait_for(lambda: store.digest == expected)
    assert reader.allows == [] and errors == [] and len(reloads) == 1


# ---- the watcher survives every failure --------------------------------------------------------------


def test_an_exception_in_a_reload_does_not_stop_the_watcher(tmp_path, monkeypatch, caplog):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "policy.law").write_text(WHOLE)
    errors, reloads = [], []

    def on_reload(policy):
        reloads.append(policy)
        raise RuntimeError("the application's callback is broken")

    real_compile = engine.runtime.store.compile_sources
    calls = []

    def compile_once_broken(*args, **kwargs):  # a bug inside the engine, once
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("an engine bug")
        return real_compile(*args, **kwargs)

    with caplog.at_level(logging.ERROR, logger="lawful"), engine.PolicyStore(
            folder, watch=True, settle_ms=50, on_error=errors.append, on_reload=on_reload) as store:
        first = store.digest
        monkeypatch.setattr(engine.runtime.store, "compile_sources", compile_once_broken)
        (folder / "policy.law").write_text(WHOLE + "# two\n")
        assert wait_for(lambda: errors), "the failure was not reported"
        assert store.digest == first and store.watching
        assert errors[0][0].code == "E0001" and "RuntimeError: an engine bug" in errors[0][0].message
        assert store.errors == errors[0]

        (folder / "policy.law").write_text(WHOLE + "# three\n")
        assert wait_for(lambda: len(reloads) == 1), "a later change was not loaded"
        (folder / "policy.law").write_text(WHOLE + "# four\n")  # the raising on_reload did not stop it
        assert wait_for(lambda: len(reloads) == 2)
        assert store.errors == [] and store.watching and store.digest == reloads[-1].digest
        assert not store.evaluate(BILLING).allowed
    assert "an engine bug" in caplog.text and "callback raised" in caplog.text


def test_the_watcher_restarts_when_watchfiles_fails(tmp_path, monkeypatch, caplog):
    import watchfiles

    real_watch, started = watchfiles.watch, []

    def failing_once(*args, **kwargs):
        started.append(args)
        for changes in real_watch(*args, **kwargs):
            yield changes
            if len(started) == 1:
                raise RuntimeError("the notify backend died")

    monkeypatch.setattr(watchfiles, "watch", failing_once)
    (tmp_path / "policy.law").write_text(WHOLE)
    with caplog.at_level(logging.WARNING, logger="lawful"), engine.PolicyStore(
            tmp_path / "policy.law", watch=True, settle_ms=50) as store:
        assert wait_for(lambda: store.restarts == 1 and store.watching)
        first = store.digest
        (tmp_path / "policy.law").write_text(WHOLE + "# changed\n")
        assert wait_for(lambda: store.digest != first)
    assert "the notify backend died" in caplog.text and "watching the policy files again" in caplog.text
    assert not store.watching


def test_the_folder_removed_and_recreated_is_followed(tmp_path):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "policy.law").write_text(WHOLE)
    errors = []
    with engine.PolicyStore(folder, watch=True, settle_ms=50, poll_ms=200, on_error=errors.append) as store:
        first, loaded = store.digest, store.last_reload
        shutil.rmtree(folder)
        assert wait_for(lambda: errors), "the missing folder was not reported"
        assert store.digest == first and "does not exist" in errors[-1][0].message
        folder.mkdir()
        (folder / "policy.law").write_text(WHOLE + "# back\n")
        assert wait_for(lambda: store.digest == digest_of(tmp_path, {"policy.law": WHOLE + "# back\n"}))
        assert store.errors == [] and store.last_reload > loaded


def test_close_does_not_wait_for_a_tree_that_keeps_changing(tmp_path):
    (tmp_path / "policy.law").write_text(WHOLE)
    stop = threading.Event()

    def keep_writing():
        version = 0
        while not stop.is_set():
            version += 1
            (tmp_path / "policy.law").write_text(WHOLE + f"# {version}\n")
            time.sleep(0.02)

    writer = threading.Thread(target=keep_writing, daemon=True)
    store = engine.PolicyStore(tmp_path / "policy.law", watch=True, settle_ms=QUIET_MS)
    first, watcher = store.digest, store._watcher
    writer.start()
    try:
        assert wait_for(lambda: store.last_check > store.last_reload)  # it is trying to settle
        store.close()
        assert not watcher.is_alive() and store.digest == first and not store.watching
    finally:
        stop.set()
        writer.join(10)


def test_store_health_is_visible(tmp_path):
    (tmp_path / "policy.law").write_text(WHOLE)
    store = engine.PolicyStore(tmp_path / "policy.law", settle_ms=10)
    loaded = store.last_reload
    assert store.errors == [] and not store.watching and store.restarts == 0
    (tmp_path / "policy.law").write_text("permit billing on emial\n")
    assert store.reload() is False and store.errors and store.last_reload == loaded
    assert store.last_check > loaded
    (tmp_path / "policy.law").write_text(WHOLE + "# next\n")
    assert store.reload() is True and store.errors == [] and store.last_reload > loaded


# ---- the digest depends on the policy, not on how its paths are spelled ---------------------------------


def test_the_digest_does_not_depend_on_the_spelling_of_the_paths(tmp_path, monkeypatch):
    folder = tmp_path / "p"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.law").write_text(BASE)
    (folder / "sub" / "b.law").write_text(FORBID)
    (folder / "z.law").write_text("# the last file\n")
    os.symlink(folder, tmp_path / "link")
    monkeypatch.chdir(tmp_path)
    spellings = ["p", "./p", "p/", "p//", str(folder), str(folder) + "/", "link", str(tmp_path / "link"),
                 "p/sub/..", ["p"], ["p", "p/a.law"], ["p/a.law", "p"], ["p/sub/b.law", "p"]]
    digests = {repr(s): engine.load_policy(s).digest for s in spellings}
    assert len(set(digests.values())) == 1, digests
    files = ["p/a.law", "p/sub/b.law", "p/z.law"]
    lists = [files, files[::-1], [str(tmp_path / f) for f in files], [files[1], files[0], "./" + files[2]]]
    assert len({engine.load_policy(f).digest for f in lists}) == 1
    # the digest still follows the policy: a rule, or the order of the files' paths
    (folder / "z.law").write_text("# the last file\nforbid billing on email\n")
    assert engine.load_policy("p").digest not in digests.values()


def test_a_file_has_one_digest_however_it_is_named(tmp_path, monkeypatch):
    (tmp_path / "policy.law").write_text("use gdpr\n" + WHOLE)
    monkeypatch.chdir(tmp_path)
    by_text = engine.load_policy_text("use gdpr\n" + WHOLE, name="anything.law").digest
    assert {engine.load_policy(p).digest for p in ["policy.law", "./policy.law", str(tmp_path / "policy.law")]} \
        == {by_text}
