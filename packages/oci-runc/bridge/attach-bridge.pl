#!/usr/bin/perl
# Bridges one of conmon's attach sockets (AF_UNIX SOCK_SEQPACKET, which Node cannot open) to stdio.
# conmon prefixes every packet it sends with the pipe it came from (2 = stdout, 3 = stderr); what
# we send is written to the container's stdin as is. Diagnostics go to fd 3: "connected" once the
# socket is open, or the reason it could not be.
# Usage: attach-bridge.pl <socket dir> <socket name> <forward stdin: 0|1>
use strict;
use warnings;
use IO::Handle;
use IO::Select;
use Socket qw(AF_UNIX SOCK_SEQPACKET pack_sockaddr_un);

my ($dir, $name, $forward_stdin) = @ARGV;
open(my $diag, '>&=', 3) or die "attach-bridge: fd 3 is not open: $!\n";
$diag->autoflush(1);

sub fail {
  print $diag "$_[0]\n";
  exit 2;
}

# Connecting by a name relative to the socket's dir keeps sun_path under its 108-byte limit.
chdir $dir or fail("cannot enter $dir: $!");
socket(my $sock, AF_UNIX, SOCK_SEQPACKET, 0) or fail("cannot make a seqpacket socket: $!");
connect($sock, pack_sockaddr_un($name)) or fail("cannot connect to $dir/$name: $!");
print $diag "connected\n";

binmode STDOUT;
binmode STDERR;
sub put {
  my ($fh, $data) = @_;
  while (length $data) {
    my $written = syswrite($fh, $data);
    exit 1 unless defined $written;
    substr($data, 0, $written) = '';
  }
}

my $select = IO::Select->new($sock);
$select->add(\*STDIN) if $forward_stdin;
for (;;) {
  for my $ready ($select->can_read) {
    if ($ready == $sock) {
      my $packet = '';
      defined recv($sock, $packet, 65536, 0) or exit 1;
      exit 0 if $packet eq '';    # conmon closed the socket: the container or exec ended
      put(ord($packet) == 3 ? \*STDERR : \*STDOUT, substr($packet, 1));
    } else {
      my $read = sysread(STDIN, my $input, 65536);
      if (!$read) {
        # End of our input: half-close, so conmon closes the container's stdin (unless told to keep it).
        shutdown($sock, 1);
        $select->remove(\*STDIN);
        next;
      }
      send($sock, $input, 0) or exit 1;
    }
  }
}
