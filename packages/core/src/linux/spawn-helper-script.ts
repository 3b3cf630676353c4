/**
 * The resident spawn helper's program, in Perl (perl-base, as the syscall helper). It runs any
 * number of commands at once from one select() loop. Requests on stdin, one per line, fields
 * separated by NUL, every text field hex-encoded (so stdin data, paths and values may hold any byte):
 *
 *   <id> <file> <cwd> <timeout ms, 0 = none> <kill signal number> <max bytes per stream> <n> (<env entry>){n} <m> (<arg>){m} <has input 0|1> <input>
 *
 * and answers, when the command has ended and closed its stdout and stderr (as execFile does):
 *
 *   <id> <exit code|""> <signal number|0> <timed out 0|1> <error> <stdout> <stderr>
 *
 * error is "" or why the command could not run ("errno <n>", exec or chdir failed in the child)
 * or was cut ("maxbuffer <stream>"); the texts are hex. A command gets the given environment and
 * cwd, default signal dispositions, and argv[0] = file. Over its timeout it gets the kill signal.
 */
export const SPAWN_HELPER_SCRIPT = String.raw`
use strict;
use warnings;
use POSIX ();
$| = 1;
$SIG{PIPE} = 'IGNORE';
$SIG{CHLD} = sub {};   # only to interrupt select(): exits are reaped with WNOHANG below

my %jobs;     # id -> job
my %by_fd;    # fileno -> [job, stream]
my $input = '';
my $open = 1;

sub unhex { return pack('H*', $_[0] // ''); }
sub hex_of { return unpack('H*', $_[0] // ''); }
# Time::HiRes is not in perl-base: without it timeouts count in whole seconds.
my $hires = eval { require Time::HiRes; 1 };
sub now_ms { return ($hires ? Time::HiRes::time() : time()) * 1000; }

sub answer {
  my ($job) = @_;
  my $st = $job->{status};
  my ($code, $sig) = ('', 0);
  if (!defined $job->{error} || $job->{error} =~ /^maxbuffer/) {
    if (POSIX::WIFEXITED($st)) { $code = POSIX::WEXITSTATUS($st); }
    elsif (POSIX::WIFSIGNALED($st)) { $sig = POSIX::WTERMSIG($st); }
  }
  $code = '' if defined $job->{error};
  print join("\0", $job->{id}, $code, $sig, $job->{timed_out} ? 1 : 0, hex_of($job->{error}), hex_of($job->{out}), hex_of($job->{err})), "\n";
  delete $jobs{$job->{id}};
}

sub fail_request { my ($id, $why) = @_; print join("\0", $id, '', 0, 0, hex_of($why), '', ''), "\n"; }

sub start {
  my ($id, $file, $cwd, $timeout, $signal, $max, $n, @rest) = @_;
  my @env = map { unhex($_) } splice(@rest, 0, $n);
  my $m = shift(@rest);
  my @args = map { unhex($_) } splice(@rest, 0, $m);
  my ($has_input, $data) = @rest;
  ($file, $cwd) = (unhex($file), unhex($cwd));
  my (@in, @out, @err, @st);
  pipe($in[0], $in[1]) && pipe($out[0], $out[1]) && pipe($err[0], $err[1]) && pipe($st[0], $st[1])
    or return fail_request($id, "errno " . ($! + 0));
  my $pid = fork();
  return fail_request($id, "errno " . ($! + 0)) unless defined $pid;
  if ($pid == 0) {
    $SIG{$_} = 'DEFAULT' for qw(PIPE CHLD);
    POSIX::dup2(fileno($in[0]), 0); POSIX::dup2(fileno($out[1]), 1); POSIX::dup2(fileno($err[1]), 2);
    # Every other descriptor perl opened is close-on-exec; st[1] tells the helper exec failed.
    if (chdir($cwd)) {
      %ENV = ();
      for (@env) { my ($k, $v) = split(/=/, $_, 2); $ENV{$k} = $v // ''; }
      { no warnings 'exec'; exec { $file } $file, @args; }
    }
    syswrite($st[1], ($! + 0) . "\n");
    POSIX::_exit(127);
  }
  close($in[0]); close($out[1]); close($err[1]); close($st[1]);
  my $job = { id => $id, pid => $pid, out => '', err => '', open => 3, max => $max + 0, signal => $signal + 0,
              deadline => $timeout > 0 ? now_ms() + $timeout : 0, input => $has_input ? unhex($data) : undef };
  $jobs{$id} = $job;
  $by_fd{fileno($_->[0])} = [$job, $_->[1], $_->[2]] for ([$out[0], 'out', $out[0]], [$err[0], 'err', $err[0]], [$st[0], 'st', $st[0]]);
  if (defined $job->{input} && length($job->{input}) > 0) { $job->{in} = $in[1]; $job->{in_off} = 0; }
  else { close($in[1]); }
}

sub kill_job { my ($job) = @_; kill($job->{signal}, $job->{pid}) if !defined $job->{status}; }

sub close_in { my ($job) = @_; close($job->{in}); delete $job->{in}; }

while ($open || %jobs) {
  while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
    for my $job (values %jobs) { $job->{status} = $? if $job->{pid} == $pid; }
  }
  for my $job (values %jobs) {
    if (defined $job->{status} && $job->{open} == 0) { close_in($job) if $job->{in}; answer($job); }
  }
  my ($rin, $win) = ('', '');
  vec($rin, 0, 1) = 1 if $open;
  vec($rin, $_, 1) = 1 for keys %by_fd;
  for my $job (values %jobs) { vec($win, fileno($job->{in}), 1) = 1 if $job->{in}; }
  my $wait = %jobs ? 0.05 : undef;
  my $t = now_ms();
  for my $job (values %jobs) {
    next unless $job->{deadline} && !defined $job->{status};
    if ($t >= $job->{deadline}) { $job->{timed_out} = 1; $job->{deadline} = 0; kill_job($job); }
  }
  my ($rout, $wout) = ($rin, $win);
  my $ready = select($rout, $wout, undef, $wait);
  next if $ready <= 0;
  for my $job (values %jobs) {
    next unless $job->{in} && vec($wout, fileno($job->{in}), 1);
    my $w = syswrite($job->{in}, $job->{input}, 65536, $job->{in_off});
    if (!defined $w) { close_in($job); next; }   # EPIPE: the command did not read it all
    $job->{in_off} += $w;
    close_in($job) if $job->{in_off} >= length($job->{input});
  }
  for my $fd (keys %by_fd) {
    next unless vec($rout, $fd, 1);
    my ($job, $stream, $fh) = @{$by_fd{$fd}};
    my $r = sysread($fh, my $buf, 65536);
    if ($stream eq 'st') { $job->{error} = 'errno ' . ($buf =~ /(\d+)/ ? $1 : 5) if $r; }
    elsif ($r) {
      $job->{$stream} .= $buf if length($job->{$stream}) <= $job->{max};
      if (length($job->{$stream}) > $job->{max} && !defined $job->{error}) { $job->{error} = "maxbuffer $stream"; kill_job($job); }
      next;
    }
    next if !defined $r && $!{EINTR};
    close($fh); delete $by_fd{$fd}; $job->{open}--;
  }
  if ($open && vec($rout, 0, 1)) {
    my $r = sysread(STDIN, my $buf, 65536);
    if (!$r) { $open = 0; next; }
    $input .= $buf;
    while ((my $nl = index($input, "\n")) >= 0) {
      my $line = substr($input, 0, $nl + 1, '');
      chomp($line);
      start(split(/\0/, $line, -1));
    }
  }
}
`;
