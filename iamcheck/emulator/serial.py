"""The simulated serial console of an instance: a getty login and a tiny shell.

Any user name signs in with the password `demo` (PASSWORD). The shell answers `uname [-a]`,
`hostname`, `whoami`, `id`, `echo`, `date`, `help`, and `exit`/`logout` (back to the login
prompt, as getty does). Input is echoed, except the password; backspace and Ctrl-C work.
The VNC console drives the same shell from key events and draws its output.
"""

from __future__ import annotations

from datetime import UTC, datetime

PASSWORD = "demo"
KERNEL = "6.8.0-60-generic #63-Ubuntu SMP PREEMPT_DYNAMIC"
MACHINES = {"amd64": "x86_64", "arm64": "aarch64"}  # VPC's architecture -> `uname -m`


class SerialShell:
    """Text in, text out; no I/O. `start()` once, then `feed()` what the user types."""

    def __init__(self, hostname: str, system: str = "Linux", architecture: str = "x86_64") -> None:
        self.hostname = hostname
        self.system = system
        self.architecture = MACHINES.get(architecture, architecture)
        self.user: str | None = None
        self.state = "login"  # login -> password -> shell -> (exit) login
        self._line = ""
        self._last = ""

    def start(self) -> str:
        return f"\r\n{self.system} {self.hostname} ttyS0\r\n\r\n{self._login_prompt()}"

    def _login_prompt(self) -> str:
        return f"{self.hostname} login: "

    def _prompt(self) -> str:
        return f"{self.user}@{self.hostname}:~{'#' if self.user == 'root' else '$'} "

    def feed(self, text: str) -> str:
        out: list[str] = []
        for char in text:
            if char == "\n" and self._last == "\r":
                self._last = char
                continue  # CR LF is one Enter
            self._last = char
            if char in "\r\n":
                line, self._line = self._line, ""
                out.append("\r\n" + self._enter(line))
            elif char in "\x7f\b":
                if self._line:
                    self._line = self._line[:-1]
                    out.append("" if self.state == "password" else "\b \b")
            elif char == "\x03":
                self._line = ""
                out.append("^C\r\n" + self._current_prompt())
            elif char == "\x04" and self.state == "shell" and not self._line:
                out.append("logout\r\n" + self._logout())
            elif char >= " ":
                self._line += char
                out.append("" if self.state == "password" else char)
        return "".join(out)

    def _current_prompt(self) -> str:
        return {"login": self._login_prompt(), "password": "Password: "}.get(
            self.state, self._prompt() if self.user else "")

    def _enter(self, line: str) -> str:
        if self.state == "login":
            if not line.strip():
                return self._login_prompt()
            self.user, self.state = line.strip(), "password"
            return "Password: "
        if self.state == "password":
            if line != PASSWORD:
                self.user, self.state = None, "login"
                return "\r\nLogin incorrect\r\n" + self._login_prompt()
            self.state = "shell"
            return (f"Welcome to the iamcheck emulator's console of {self.hostname}.\r\n"
                    "Type 'help' for the commands it knows.\r\n\r\n" + self._prompt())
        return self._run(line.strip())

    def _logout(self) -> str:
        self.user, self.state = None, "login"
        return self.start()

    def _run(self, command: str) -> str:
        word, _, rest = command.partition(" ")
        if word in ("exit", "logout"):
            return "logout\r\n" + self._logout()
        full = f"{self.system} {self.hostname} {KERNEL} {self.architecture} GNU/{self.system}"
        answers = {
            "": None,
            "uname": full if "-a" in rest.split() else self.system,
            "hostname": self.hostname,
            "whoami": self.user,
            "id": "uid=0(root) gid=0(root) groups=0(root)" if self.user == "root" else
                  f"uid=1000({self.user}) gid=1000({self.user}) groups=1000({self.user})",
            "echo": rest,
            "date": datetime.now(UTC).strftime("%a %b %d %H:%M:%S UTC %Y"),
            "help": "commands: uname [-a], hostname, whoami, id, echo, date, exit",
        }
        if word not in answers:
            return f"-bash: {word}: command not found\r\n{self._prompt()}"
        answer = answers[word]
        return (f"{answer}\r\n" if answer is not None else "") + self._prompt()


class SerialConsole:
    """The serial console's byte stream: the shell's text as UTF-8, both ways."""

    def __init__(self, shell: SerialShell) -> None:
        self.shell = shell

    def start(self) -> bytes:
        return self.shell.start().encode()

    def receive(self, data: bytes) -> bytes:
        return self.shell.feed(data.decode("utf-8", "replace")).encode()
