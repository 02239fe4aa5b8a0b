# A service manager's notification socket, for tests: binds a Unix datagram
# socket at argv[1] (writable by every user, like systemd's), prints each
# datagram on one line ('\n' inside shown as '|'), and exits after argv[2]
# seconds at most. Node has no Unix datagram sockets, hence Python.
import os
import socket
import sys
import time

sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
print("LISTENING", flush=True)
sock.settimeout(0.5)
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    try:
        data = sock.recv(4096)
    except socket.timeout:
        continue
    print(data.decode(errors="replace").replace("\n", "|"), flush=True)
