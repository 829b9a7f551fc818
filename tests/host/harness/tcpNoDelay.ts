/**
 * Reads the TCP_NODELAY option of live TCP connections from the kernel, for the test that every SSH connection
 * of the project runs with it (tests/host/ssh-socket.test.ts).
 *
 * Node has no getsockopt, and `ss -tni` does not show the option (tcp_info carries no Nagle flag), so a small
 * Perl script (perl-base is Essential on Debian, its Socket module included) does it the kernel's way: the
 * process's ESTABLISHED sockets to the given address and port from /proc/PID/net/tcp (by inode), their file
 * descriptors from /proc/PID/fd, a copy of each through pidfd_open + pidfd_getfd (Linux >= 5.6; root, as the
 * host tests run), then getsockopt(IPPROTO_TCP, TCP_NODELAY) on the copy. The syscall numbers 434 and 438 are
 * the same on x86_64 and arm64 (the generic table, include/uapi/asm-generic/unistd.h).
 */
import { execFile } from "node:child_process";

const PROBE = String.raw`
use strict;
use Socket qw(IPPROTO_TCP TCP_NODELAY);
my ($pid, $addr, $port) = @ARGV;
my $want = sprintf("%08X:%04X", unpack("V", pack("C4", split(/\./, $addr))), $port);
my %inode;
open(my $tcp, "<", "/proc/$pid/net/tcp") or die "cannot read /proc/$pid/net/tcp: $!\n";
while (<$tcp>) {
  my @f = split;
  $inode{$f[9]} = 1 if defined $f[2] && $f[2] eq $want && $f[3] eq "01";
}
my $pidfd = syscall(434, $pid + 0, 0);
die "pidfd_open($pid) failed: $!\n" if $pidfd < 0;
opendir(my $d, "/proc/$pid/fd") or die "cannot list /proc/$pid/fd: $!\n";
for my $fd (sort { $a <=> $b } grep { /^\d+$/ } readdir($d)) {
  my $l = readlink("/proc/$pid/fd/$fd") // next;
  next unless $l =~ /^socket:\[(\d+)\]$/ && $inode{$1};
  my $copy = syscall(438, $pidfd, $fd + 0, 0);
  die "pidfd_getfd($pid, $fd) failed: $!\n" if $copy < 0;
  open(my $s, "+<&=", $copy) or die "cannot open fd $copy: $!\n";
  my $v = getsockopt($s, IPPROTO_TCP, TCP_NODELAY);
  die "getsockopt failed: $!\n" unless defined $v;
  print "$fd ", unpack("i", $v), "\n";
  close($s);
}
`;

/** One live connection of a process and whether TCP_NODELAY is set on it. */
export interface SocketNoDelay {
  /** File descriptor in the examined process. */
  fd: number;
  /** TCP_NODELAY as the kernel reports it. */
  noDelay: boolean;
}

/** TCP_NODELAY of every ESTABLISHED connection of process `pid` to the IPv4 `address`:`port`. */
export function tcpNoDelayOf(pid: number, address: string, port: number): Promise<SocketNoDelay[]> {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(address)) return Promise.reject(new Error(`tcpNoDelayOf reads IPv4 connections only, not ${address}`));
  return new Promise((resolve, reject) => {
    execFile("perl", ["-e", PROBE, String(pid), address, String(port)], { encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`reading TCP_NODELAY of process ${pid} failed: ${stderr.trim() || err.message}`));
        return;
      }
      resolve(
        stdout
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((line) => {
            const [fd, v] = line.split(" ").map(Number);
            return { fd, noDelay: v !== 0 };
          }),
      );
    });
  });
}
