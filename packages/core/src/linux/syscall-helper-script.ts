/**
 * The resident helper's program, in Perl: perl-base is an essential package on Debian and Ubuntu,
 * and its syscall() reaches mount(2), umount2(2) and unshare(2), which Node cannot. One small
 * process answers requests on stdin, one per line, fields separated by NUL:
 *
 *   <id> mount <source> <target> <fstype> <flags> <data> <cwd>   (cwd "" = stay in /)
 *   <id> umount <target> <flags>
 *   <id> pin <clone flags> <lo 0|1> <hostname|""> <n> (<ns name> <pin path>){n} <m> (<path under /proc/sys> <value> <step>){m}
 *
 * and answers `<id> NUL <errno> NUL <step> NUL <message>` (errno 0 = done). `pin` forks a child
 * that unshares the namespaces, sets lo up (SIOCSIFFLAGS), the hostname and the sysctls from
 * inside them, then waits while the helper bind-mounts /proc/<child>/ns/<name> onto each pin.
 * Syscall numbers come as arguments: they differ between architectures.
 */
export const SYSCALL_HELPER_SCRIPT = String.raw`
use strict;
use warnings;
use POSIX ();
my ($SYS_mount, $SYS_umount2, $SYS_unshare) = map { $_ + 0 } @ARGV;
my $MS_BIND = 4096;
$| = 1;
$SIG{PIPE} = 'IGNORE';

sub clean { my ($s) = @_; $s = '' unless defined $s; $s =~ s/[\n\0]/ /g; return $s; }
sub reply { my ($id, $errno, $step, $msg) = @_; print clean($id), "\0", $errno + 0, "\0", clean($step), "\0", clean($msg), "\n"; }

sub do_mount {
  my ($id, $src, $target, $fstype, $flags, $data, $cwd) = @_;
  if ($cwd ne '' && !chdir($cwd)) { return reply($id, $! + 0, 'chdir', "chdir $cwd: $!"); }
  my $r = syscall($SYS_mount, "$src", "$target", "$fstype", $flags + 0, "$data");
  my ($errno, $msg) = ($! + 0, "$!");
  chdir('/');
  return reply($id, $r == 0 ? 0 : $errno, 'mount', $r == 0 ? '' : $msg);
}

sub do_umount {
  my ($id, $target, $flags) = @_;
  my $r = syscall($SYS_umount2, "$target", $flags + 0);
  return reply($id, $r == 0 ? 0 : $! + 0, 'umount', $r == 0 ? '' : "$!");
}

sub child_setup {
  my ($out, $flags, $lo, $hostname, $sysctls) = @_;
  my $fail = sub { my ($step) = @_; print $out "fail\0", $! + 0, "\0", clean($step), "\0", clean("$!"), "\n"; POSIX::_exit(1); };
  syscall($SYS_unshare, $flags + 0) == 0 or $fail->('unshare');
  if ($lo) {
    socket(my $sock, 2, 2, 0) or $fail->('lo');
    my $ifr = pack('Z16 x24', 'lo');
    ioctl($sock, 0x8913, $ifr) or $fail->('lo');
    my $ifflags = unpack('x16 s', $ifr);
    $ifr = pack('Z16 s x22', 'lo', $ifflags | 1);
    ioctl($sock, 0x8914, $ifr) or $fail->('lo');
    close($sock);
  }
  my $write = sub {
    my ($path, $value, $step) = @_;
    open(my $fh, '>', $path) or $fail->($step);
    defined(syswrite($fh, $value)) or $fail->($step);
    close($fh) or $fail->($step);
  };
  $write->('/proc/sys/kernel/hostname', $hostname, 'hostname') if $hostname ne '';
  $write->("/proc/sys/$_->[0]", "$_->[1]\n", $_->[2]) for @$sysctls;
  print $out "ready\n";
}

sub do_pin {
  my ($id, $flags, $lo, $hostname, $n, @rest) = @_;
  my @pins = map { [splice(@rest, 0, 2)] } 1 .. $n;
  my $m = shift(@rest);
  my @sysctls = map { [splice(@rest, 0, 3)] } 1 .. $m;
  pipe(my $from_child, my $to_parent) or return reply($id, $! + 0, 'pipe', "pipe: $!");
  pipe(my $from_parent, my $to_child) or return reply($id, $! + 0, 'pipe', "pipe: $!");
  my $pid = fork();
  return reply($id, $! + 0, 'fork', "fork: $!") unless defined $pid;
  if ($pid == 0) {
    close($from_child); close($to_child);
    my $old = select($to_parent); $| = 1; select($old);
    child_setup($to_parent, $flags, $lo, $hostname, \@sysctls);
    # Stay in the namespaces until the helper has pinned them (it closes its end then).
    my $ignored = <$from_parent>;
    POSIX::_exit(0);
  }
  close($to_parent); close($from_parent);
  my $said = <$from_child>;
  my @answer;
  if (!defined $said) {
    @answer = (5, 'unshare', 'the namespace child ended without a word');
  } elsif ($said =~ /^ready/) {
    @answer = (0, '', '');
    for my $pin (@pins) {
      my ($name, $path) = @$pin;
      # syscall() may write to its string arguments: no constants.
      my ($fstype, $data) = ('', '');
      if (syscall($SYS_mount, "/proc/$pid/ns/$name", "$path", $fstype, $MS_BIND, $data) != 0) {
        @answer = ($! + 0, "pin $path", "$!");
        last;
      }
    }
  } else {
    chomp($said);
    my (undef, $errno, $step, $msg) = split(/\0/, $said, -1);
    @answer = ($errno, $step, $msg);
  }
  close($to_child);
  waitpid($pid, 0);
  return reply($id, @answer);
}

while (my $line = <STDIN>) {
  chomp($line);
  my ($id, $op, @args) = split(/\0/, $line, -1);
  next unless defined $op;
  if ($op eq 'mount') { do_mount($id, @args); }
  elsif ($op eq 'umount') { do_umount($id, @args); }
  elsif ($op eq 'pin') { do_pin($id, @args); }
  else { reply($id, 22, 'request', "unknown request $op"); }
}
`;
