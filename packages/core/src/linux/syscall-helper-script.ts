/**
 * The resident helper's program, in Perl: perl-base is an essential package on Debian and Ubuntu,
 * and its syscall() reaches mount(2), umount2(2) and unshare(2), which Node cannot. One small
 * process answers requests on stdin, one per line, fields separated by NUL:
 *
 *   <id> mount <source> <target> <fstype> <flags> <data> <cwd>   (cwd "" = stay in /)
 *   <id> umount <target> <flags>
 *   <id> pin <clone flags> <lo 0|1> <hostname|""> <n> (<ns name> <pin path>){n} <m> (<path under /proc/sys> <value> <step>){m}
 *   <id> run <max output> <overflow signal> <cwd> <stdin hex> <n> (<NAME=value>){n} <file> <args...>
 *   <id> start <cwd> <n> (<NAME=value>){n} <file> <args...>
 *   <id> kill <id of a run or start> <signal>
 *
 * and answers `<id> NUL <errno> NUL <step> NUL <message>` (errno 0 = done); a run's answer adds
 * `NUL <exit code|""> NUL <signal|""> NUL <stdout hex> NUL <stderr hex> NUL <stream over max|"">`
 * once the command has exited and closed its output. `start` runs a daemon (conmon) in its own
 * session with /dev/null on stdin and stdout and a sync pipe on fd 3, and answers
 * `NUL <pid> NUL <1 if a line came|0> NUL <first line on fd 3, hex> NUL <exit code|""> NUL <stderr hex>`
 * once that line has come, or fd 3 closed and the first process exited. `pin` forks a child that unshares the
 * namespaces, sets lo up (SIOCSIFFLAGS), the hostname and the sysctls from inside them, then waits
 * while the helper bind-mounts /proc/<child>/ns/<name> onto each pin. `run` forks and execs a
 * command (a fork of this small process costs a fraction of one of criod's); the helper keeps
 * serving other requests while it runs and reaps it. Timeouts are criod's: it sends `kill`, which
 * for a start answers at once.
 * Syscall numbers come as arguments: they differ between architectures.
 */
export const SYSCALL_HELPER_SCRIPT = String.raw`
use strict;
use warnings;
use POSIX ();
use Fcntl ();
my ($SYS_mount, $SYS_umount2, $SYS_unshare) = map { $_ + 0 } @ARGV;
my $MS_BIND = 4096;
$| = 1;
$SIG{PIPE} = 'IGNORE';
# A child's exit interrupts select(), so a run is reaped at once (the poll below covers a race).
$SIG{CHLD} = sub { };

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

# Runs in flight by request id: pid, pipes (undef once closed), pending stdin, output so far.
my %runs;
# Daemons started by request id until their first line on fd 3 is answered; then, until reaped,
# their first process (conmon's exits once it has forked the monitor) by pid in %unreaped.
my (%starts, %unreaped);

# In a forked child: give the command its fds (target fd => handle, undef = /dev/null) and exec
# it; what fails before exec is told through the close-on-exec pipe $tell.
sub exec_child {
  my ($tell, $fds, $session, $cwd, $env, $file, @args) = @_;
  # Every fd moves above the targets first, so no dup2 clobbers one still to be used.
  my ($tell_fd, $told) = (fcntl($tell, Fcntl::F_DUPFD(), 64), $tell);
  if (defined $tell_fd && open(my $high_tell, '>&=', $tell_fd)) { $told = $high_tell; }
  fcntl($told, Fcntl::F_SETFD(), Fcntl::FD_CLOEXEC());
  my $fail = sub { my ($step) = @_; syswrite($told, ($! + 0) . "\0$step"); POSIX::_exit(127); };
  # The command starts as from a fresh spawn: default SIGPIPE, nothing blocked.
  $SIG{PIPE} = 'DEFAULT';
  POSIX::sigprocmask(POSIX::SIG_SETMASK(), POSIX::SigSet->new());
  defined(POSIX::setsid()) or $fail->('setsid') if $session;
  my %high;
  for my $target (keys %$fds) {
    my $fh = $fds->{$target};
    if (!defined $fh) { open($fh, '+<', '/dev/null') or $fail->('open /dev/null'); }
    $high{$target} = fcntl($fh, Fcntl::F_DUPFD(), 64) // $fail->('dup');
  }
  for my $target (keys %high) {
    defined(POSIX::dup2($high{$target}, $target)) or $fail->('dup2');
    POSIX::close($high{$target});
  }
  # No other fd reaches the command, not even one criod's own parent left without close-on-exec.
  if (opendir(my $dir, '/proc/self/fd')) {
    my @open = grep { /^\d+$/ } readdir($dir);
    closedir($dir);
    POSIX::close($_) for grep { $_ > 2 && !exists $fds->{$_} && $_ != fileno($told) } @open;
  }
  $fail->('chdir') if $cwd ne '' && !chdir($cwd);
  %ENV = map { split(/=/, $_, 2) } @$env;
  { no warnings 'exec'; exec { $file } $file, @args; }
  $fail->('exec');
}

# Fork and exec a command with a pipe per [name, child's end (0 read, 1 write), its fd there];
# answers its pid and the helper's ends by name, or replies the failure and answers nothing.
sub fork_exec {
  my ($id, $plumbing, $nulls, $session, $cwd, $env, $file, @args) = @_;
  my (%mine, %theirs, @made);
  for my $pipe (@$plumbing, ['exec', 1]) {
    my ($name, $child_end) = @$pipe;
    if (!pipe(my $r, my $w)) { my $msg = "$!"; my $errno = $! + 0; close($_) for @made; reply($id, $errno, 'pipe', "pipe: $msg"); return; }
    else { push(@made, $r, $w); ($theirs{$name}, $mine{$name}) = $child_end ? ($w, $r) : ($r, $w); }
  }
  my $pid = fork();
  if (!defined $pid) { my ($errno, $msg) = ($! + 0, "$!"); close($_) for @made; reply($id, $errno, 'fork', "fork: $msg"); return; }
  if ($pid == 0) {
    my %fds = map { ($_->[2] => $theirs{$_->[0]}) } @$plumbing;
    $fds{$_} = undef for @$nulls;
    exec_child($theirs{exec}, \%fds, $session, $cwd, $env, $file, @args);
  }
  close($_) for values %theirs;
  my ($exec, $said) = (delete $mine{exec}, '');
  while (1) {
    my $got = sysread($exec, $said, 256, length $said);
    last if defined $got && $got == 0;
    next if defined $got || $!{EINTR};
    last;
  }
  close($exec);
  if ($said ne '') {
    waitpid($pid, 0);
    close($_) for values %mine;
    my ($errno, $step) = split(/\0/, $said, 2);
    local $! = $errno + 0;
    reply($id, $errno, $step, "$step $file: $!");
    return;
  }
  return ($pid, \%mine);
}

sub do_run {
  my ($id, $max, $overflow_signal, $cwd, $input_hex, $n, @rest) = @_;
  my @env = splice(@rest, 0, $n);
  my ($pid, $p) = fork_exec($id, [['in', 0, 0], ['out', 1, 1], ['err', 1, 2]], [], 0, $cwd, \@env, @rest) or return;
  my $in = $p->{in};
  my $flags = fcntl($in, Fcntl::F_GETFL(), 0);
  fcntl($in, Fcntl::F_SETFL(), $flags | Fcntl::O_NONBLOCK()) if defined $flags;
  my $input = pack('H*', $input_hex);
  if ($input eq '') { close($in); $in = undef; }
  $runs{$id} = { pid => $pid, in => $in, input => $input, out => $p->{out}, err => $p->{err},
                 stdout => '', stderr => '', max => $max + 0, overflow_signal => $overflow_signal + 0, over => '' };
}

sub do_start {
  my ($id, $cwd, $n, @rest) = @_;
  my @env = splice(@rest, 0, $n);
  my ($pid, $p) = fork_exec($id, [['err', 1, 2], ['sync', 1, 3]], [0, 1], 1, $cwd, \@env, @rest) or return;
  $starts{$id} = { pid => $pid, sync => $p->{sync}, err => $p->{err}, line => '', stderr => '' };
}

# A run is killed; a start is answered at once with what it has, its first process killed.
sub do_kill {
  my ($id, $run_id, $signal) = @_;
  my $r = $runs{$run_id} // $starts{$run_id} or return reply($id, 3, 'kill', 'no such run');
  $r->{killed} = 1;
  kill($signal + 0, $r->{pid}) or return reply($id, $! + 0, 'kill', "$!") unless exists $r->{status};
  return reply($id, 0, '', '');
}

# Feed stdin, read output; a stream over its max kills the command as Node's maxBuffer does.
sub pump {
  my ($r, $rout, $wout) = @_;
  if ($r->{in} && vec($wout, fileno($r->{in}), 1)) {
    my $wrote = syswrite($r->{in}, $r->{input});
    if (defined $wrote) { substr($r->{input}, 0, $wrote, ''); }
    if ((defined $wrote && $r->{input} eq '') || (!defined $wrote && !$!{EAGAIN} && !$!{EINTR})) { close($r->{in}); $r->{in} = undef; }
  }
  for my $stream ('out', 'err') {
    my $fh = $r->{$stream} or next;
    next unless vec($rout, fileno($fh), 1);
    my $key = "std$stream";
    my $got = sysread($fh, $r->{$key}, 65536, length $r->{$key});
    next if !defined $got && ($!{EAGAIN} || $!{EINTR});
    if (!$got) { close($fh); $r->{$stream} = undef; next; }
    if (length($r->{$key}) > $r->{max}) {
      substr($r->{$key}, $r->{max}) = '';
      $r->{over} = $key;
      $r->{killed} = 1;
      kill($r->{overflow_signal}, $r->{pid});
      close($fh); $r->{$stream} = undef;
    }
  }
}

# A run ends once its command has exited and closed its output (or was killed: a grandchild may
# keep the pipes open).
sub finish_if_done {
  my ($id) = @_;
  my $r = $runs{$id};
  return if ($r->{out} || $r->{err}) && !$r->{killed};
  return if waitpid($r->{pid}, POSIX::WNOHANG()) != $r->{pid};
  my $status = $?;
  for my $fh (grep { defined } @$r{qw(in out err)}) { close($fh); }
  delete $runs{$id};
  my ($code, $signal) = ($status & 127) ? ('', $status & 127) : ($status >> 8, '');
  print clean($id), "\0", "0\0\0\0", $code, "\0", $signal, "\0", unpack('H*', $r->{stdout}), "\0", unpack('H*', $r->{stderr}), "\0", $r->{over}, "\n";
}

# A start's first line on fd 3, and its stderr (kept to 64 KiB) for a failure's message.
sub pump_start {
  my ($r, $rout) = @_;
  for my $stream ('sync', 'err') {
    my $fh = $r->{$stream} or next;
    next unless vec($rout, fileno($fh), 1);
    my $key = $stream eq 'sync' ? 'line' : 'stderr';
    my $got = sysread($fh, $r->{$key}, 65536, length $r->{$key});
    next if !defined $got && ($!{EAGAIN} || $!{EINTR});
    if (!$got) { close($fh); $r->{$stream} = undef; }
    substr($r->{stderr}, 65536) = '' if length($r->{stderr}) > 65536;
  }
}

# A start is answered once its first line has come, or fd 3 has closed and its first process
# has exited, or criod gave up on it (kill).
sub finish_start_if_done {
  my ($id) = @_;
  my $r = $starts{$id};
  if (!exists $r->{status} && waitpid($r->{pid}, POSIX::WNOHANG()) == $r->{pid}) { $r->{status} = $?; }
  my $nl = index($r->{line}, "\n");
  return if $nl < 0 && !$r->{killed} && ($r->{sync} || !exists $r->{status});
  for my $fh (grep { defined } @$r{qw(sync err)}) { close($fh); }
  delete $starts{$id};
  $unreaped{$r->{pid}} = 1 unless exists $r->{status};
  my $status = $r->{status};
  my $code = defined $status && !($status & 127) ? $status >> 8 : '';
  my $line = $nl >= 0 ? substr($r->{line}, 0, $nl) : '';
  print clean($id), "\0", "0\0\0\0", $r->{pid}, "\0", ($nl >= 0 ? 1 : 0), "\0", unpack('H*', $line), "\0", $code, "\0", unpack('H*', $r->{stderr}), "\n";
}

sub handle {
  my ($line) = @_;
  my ($id, $op, @args) = split(/\0/, $line, -1);
  return unless defined $op;
  if ($op eq 'mount') { do_mount($id, @args); }
  elsif ($op eq 'umount') { do_umount($id, @args); }
  elsif ($op eq 'pin') { do_pin($id, @args); }
  elsif ($op eq 'run') { do_run($id, @args); }
  elsif ($op eq 'start') { do_start($id, @args); }
  elsif ($op eq 'kill') { do_kill($id, @args); }
  else { reply($id, 22, 'request', "unknown request $op"); }
}

my $requests = '';
while (1) {
  my ($rin, $win) = ('', '');
  vec($rin, fileno(STDIN), 1) = 1;
  for my $r (values %runs) {
    vec($rin, fileno($r->{$_}), 1) = 1 for grep { $r->{$_} } ('out', 'err');
    vec($win, fileno($r->{in}), 1) = 1 if $r->{in};
  }
  for my $r (values %starts) { vec($rin, fileno($r->{$_}), 1) = 1 for grep { $r->{$_} } ('sync', 'err'); }
  # An exit is also polled for once its output is closed: SIGCHLD may come just before select().
  my $exiting = grep { (!$_->{out} && !$_->{err}) || $_->{killed} } values %runs;
  $exiting += grep { !$_->{sync} } values %starts;
  my $n = select(my $rout = $rin, my $wout = $win, undef, $exiting ? 0.005 : %unreaped ? 1 : undef);
  if ($n < 0) { next if $!{EINTR}; die "select: $!"; }
  for my $id (keys %runs) {
    pump($runs{$id}, $rout, $wout) if $n > 0;
    finish_if_done($id);
  }
  for my $id (keys %starts) {
    pump_start($starts{$id}, $rout) if $n > 0;
    finish_start_if_done($id);
  }
  for my $pid (keys %unreaped) { delete $unreaped{$pid} if waitpid($pid, POSIX::WNOHANG()) != 0; }
  next unless $n > 0 && vec($rout, fileno(STDIN), 1);
  my $got = sysread(STDIN, $requests, 65536, length $requests);
  next if !defined $got && $!{EINTR};
  last if !$got; # criod closed its end (or is gone)
  while ((my $nl = index($requests, "\n")) >= 0) {
    my $line = substr($requests, 0, $nl + 1, '');
    chop($line);
    handle($line);
  }
}
`;
