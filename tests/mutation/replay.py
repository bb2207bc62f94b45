"""Answer the same question to an external analyser once per module run, not once per mutant.

The isolation judge asks network-config-analyzer (NCA, a subprocess taking
seconds) for the connectivity of the resources it writes into a directory.
Most mutants of the judge leave that input unchanged (they mutate how the answer
is read, or code no probe reaches), so each forked child would ask NCA the same
question again. The answer depends only on the command, its options, the
executable and the files of the input directory; ``Replay`` keys a recorded
answer on exactly those, so a mutant that changes any of them (a probe more or
less, a file name, the query, the timeout) gets a real run, and one that does
not gets the recorded answer. Recordings live on disk so that sibling children
share them, and are cleared at the start of each module's run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

_INPUTS, _OUTPUT = "\x00inputs\x00", "\x00output\x00"


class Replay:
    """Record and replay ``subprocess.run`` of one executable that reads a directory and writes a file."""

    def __init__(self, executable: str, directory: Path, inputs_option: str, output_option: str) -> None:
        self.executable, self.directory = executable, directory
        self.inputs_option, self.output_option = inputs_option, output_option
        self.real = subprocess.run
        self.replayed = self.recorded = 0

    def install(self) -> None:
        """Start afresh (answers of an earlier run may come from another analyser version) and patch."""
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        subprocess.run = self._run  # type: ignore[assignment]

    def uninstall(self) -> None:
        subprocess.run = self.real  # type: ignore[assignment]

    def _paths(self, command: list[str]) -> tuple[str, str] | None:
        try:
            inputs = command[command.index(self.inputs_option) + 1]
            output = command[command.index(self.output_option) + 1]
        except (ValueError, IndexError):
            return None
        return inputs, output

    def _key(self, command: list[str], inputs: str, output: str, kwargs: dict[str, Any]) -> str:
        digest = hashlib.sha256()
        digest.update(Path(command[0]).read_bytes())
        generic = [_INPUTS if arg == inputs else _OUTPUT if arg == output else arg for arg in command]
        digest.update(json.dumps([generic, sorted((k, repr(v)) for k, v in kwargs.items())]).encode())
        for file in sorted(Path(inputs).rglob("*")):
            digest.update(str(file.relative_to(inputs)).encode() + b"\x00")
            if file.is_file():
                digest.update(file.read_bytes() + b"\x00")
        return digest.hexdigest()

    def _run(self, command: Any, *args: Any, **kwargs: Any) -> subprocess.CompletedProcess:
        paths = self._paths(command) if isinstance(command, list) and not args else None
        replayable = (
            paths is not None
            and Path(command[0]).name == self.executable
            and Path(command[0]).is_file()
            and kwargs.get("capture_output")
            and kwargs.get("text")
            and not kwargs.get("check")
        )
        if not replayable:
            return self.real(command, *args, **kwargs)
        inputs, output = paths
        recording = self.directory / f"{self._key(command, inputs, output, kwargs)}.json"
        if recording.is_file():
            self.replayed += 1
            answer = json.loads(recording.read_text(encoding="utf-8"))
            if answer["output"] is not None:
                Path(output).write_text(answer["output"].replace(_INPUTS, inputs), encoding="utf-8")
            stdout, stderr = (answer[name].replace(_INPUTS, inputs) for name in ("stdout", "stderr"))
            return subprocess.CompletedProcess(command, answer["returncode"], stdout, stderr)
        completed = self.real(command, *args, **kwargs)  # a timeout raises, and nothing is recorded
        written = Path(output).read_text(encoding="utf-8") if Path(output).is_file() else None
        answer = {
            "returncode": completed.returncode,
            "stdout": completed.stdout.replace(inputs, _INPUTS),
            "stderr": completed.stderr.replace(inputs, _INPUTS),
            "output": written.replace(inputs, _INPUTS) if written is not None else None,
        }
        partial = recording.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(answer), encoding="utf-8")
        os.replace(partial, recording)  # siblings read whole recordings only
        self.recorded += 1
        return completed
