/**
 * The output copier's loop, in Perl, shared by every process of ours that copies a capped run's
 * output into its log: the copier spawned per run (local-run.ts), the one the isolation helper
 * forks (isolation.ts) and the launcher's (launcher.ts, which gets it with the helper's
 * definitions). `copy_output($left, $marker)` copies stdin to stdout up to `$left` bytes; if more
 * comes, it writes the marker once, reads the rest away and exits 3, otherwise it exits 0 at
 * end-of-file (1 on a read or write error). It loads no module: errno by number (EINTR is 4).
 */
export const PERL_COPY_OUTPUT = `sub copy_output {
  my ($left, $marker) = @_; my $buf;
  while ($left > 0) {
    my $n = sysread(STDIN, $buf, $left < 65536 ? $left : 65536);
    if (!defined $n) { next if $! == 4; exit 1 }
    exit 0 if $n == 0;
    for (my $off = 0; $off < $n;) { my $w = syswrite(STDOUT, $buf, $n - $off, $off); if (!defined $w) { next if $! == 4; exit 1 } $off += $w }
    $left -= $n;
  }
  my $n; do { $n = sysread(STDIN, $buf, 1) } while (!defined $n && $! == 4);
  exit 0 if !$n;
  syswrite(STDOUT, $marker);
  1 while sysread(STDIN, $buf, 65536);
  exit 3;
}
`
