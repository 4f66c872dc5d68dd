#!/usr/bin/perl
# mime-canon.pl FILE: prints a message in a form in which two messages
# compare equal exactly when a recipient sees the same thing in them, so
# a message a server passed on can be checked against what was sent even
# where the sender had to re-encode it (RFC 2045 section 6.7, RFC 5322
# section 2.1.1):
#  - line ends are LF; the trace headers a server prepends (Received,
#    Return-Path, Envelope-to, Delivery-date, Delivered-To, X-Original-To)
#    are dropped from the top; headers are unfolded (RFC 5322 section
#    2.2.3: folding only inserts a line break before white space);
#  - in every entity, MIME-Version and Content-Transfer-Encoding are
#    dropped and the body is decoded (quoted-printable, base64); the
#    Content-Type is written with its type and parameters lower-cased
#    and unquoted, RFC 2045's default when it is missing, and without a
#    charset when the decoded text is all ASCII (where every charset
#    shows the same);
#  - a multipart body keeps its preamble, boundaries and epilogue as they
#    are and each part is treated the same way, to a depth of 20.
use strict;
use warnings;
use MIME::QuotedPrint ();
use MIME::Base64 ();

my %trace = map { $_ => 1 } qw(received return-path envelope-to
    delivery-date delivered-to x-original-to);

sub split_entity {
	my ($text) = @_;
	my ($head, $body);
	if ($text =~ /\A(.*?\n)\n(.*)\z/s) {
		($head, $body) = ($1, $2);
	} elsif ($text =~ /\A\n(.*)\z/s) {
		($head, $body) = ('', $1);
	} else {
		($head, $body) = ($text, '');
	}
	my @h;
	for my $line (split /\n/, $head) {
		if ($line =~ /^[ \t]/ && @h) {
			$h[-1] .= $line;	# unfold: drop the line break only
		} else {
			push @h, $line;
		}
	}
	return (\@h, $body);
}

sub hname { my ($h) = @_; $h =~ /^([^:]*):/; return lc($1 // ''); }
sub hvalue { my ($h) = @_; $h =~ s/^[^:]*:[ \t]*//; return $h; }

sub parse_ctype {
	my ($v) = @_;
	$v = 'text/plain; charset=us-ascii' unless defined $v;
	$v =~ s/\([^()]*\)//g;		# comments
	my ($type, @rest) = split /;/, $v;
	$type = lc($type // '');
	$type =~ s/\s//g;
	my %p;
	for my $kv (@rest) {
		next unless $kv =~ /^\s*([^=\s]+)\s*=\s*(.*?)\s*$/;
		my ($k, $val) = (lc $1, $2);
		$val =~ s/^"(.*)"$/$1/;
		$p{$k} = $val;
	}
	return ($type, \%p);
}

sub canon {
	my ($text, $top, $depth) = @_;
	my ($h, $body) = split_entity($text);
	my ($ct, $cte, @out);
	my $intrace = $top;
	for my $line (@$h) {
		my $n = hname($line);
		if ($intrace && $trace{$n}) {
			next;
		}
		$intrace = 0;
		next if $n eq 'mime-version';
		if ($n eq 'content-transfer-encoding') {
			$cte = lc hvalue($line);
			$cte =~ s/\s//g;
			next;
		}
		if ($n eq 'content-type') {
			$ct = hvalue($line);
			next;
		}
		push @out, $line;
	}
	my ($type, $p) = parse_ctype($ct);
	my $res = '';
	if ($type =~ m{^multipart/} && defined $p->{boundary} && $depth < 20) {
		$res = multipart($body, $p->{boundary}, $depth);
	} else {
		$cte //= '7bit';
		if ($cte eq 'quoted-printable') {
			$body = MIME::QuotedPrint::decode_qp($body);
		} elsif ($cte eq 'base64') {
			$body = MIME::Base64::decode_base64($body);
		}
		delete $p->{charset} if $body !~ /[^\x00-\x7f]/;
		$res = $body;
	}
	my $ctl = "Content-Type: $type";
	$ctl .= "; $_=$p->{$_}" for sort keys %$p;
	return join('', map { "$_\n" } @out, $ctl) . "\n" . $res;
}

sub multipart {
	my ($body, $b, $depth) = @_;
	my @lines = split /^/m, $body;
	my ($res, $part, $in, $done) = ('', undef, 0, 0);
	for my $l (@lines) {
		if (!$done && $l =~ /^--\Q$b\E(--)?[ \t]*\n?$/) {
			my $end = defined $1;
			if (defined $part) {
				# The line break before a boundary belongs to it.
				$part =~ s/\n\z//;
				$res .= "<part>\n" . canon($part, 0, $depth + 1) .
				    "\n</part>\n";
			}
			$res .= $l;
			$part = $end ? undef : '';
			$done = $end;
			next;
		}
		if (defined $part) {
			$part .= $l;
		} else {
			$res .= $l;	# preamble, epilogue
		}
	}
	$res .= "<unterminated>\n" . canon($part, 0, $depth + 1)
	    if defined $part;
	return $res;
}

local $/;
my $f = shift or die "usage: mime-canon.pl FILE\n";
open(my $fh, '<:raw', $f) or die "$f: $!\n";
my $text = <$fh>;
close $fh;
$text =~ s/\r\n/\n/g;
binmode STDOUT;
print canon($text, 1, 0);
