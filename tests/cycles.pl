#!/usr/bin/perl
# make lint: files call only downward (README, Hacking). Fails, listing
# each cycle, when
#  - the call graph between the .c files of DIR (default src) has a
#    cycle: file A uses a non-static function or variable defined in B,
#    B (directly or through others) one defined in A;
#  - the #include "..." graph between the files of DIR has a cycle.
# A name counts wherever it appears in A outside comments, strings and
# member names (a call, a function pointer in a table, a macro), unless A
# defines that name itself.
#
# Definitions are found in KNF: at file level, the text before a "{"
# that ends in "name(...)" is a function (static when "static" is in
# it); "name = {" or "name[...] = ..." without "static" is a variable.
use strict;
use warnings;

my $dir = shift // 'src';
my (%refs, %defs, %owner, %inc);

sub slurp {
	my ($f) = @_;
	open(my $fh, '<', $f) or die "cycles: $f: $!\n";
	local $/;
	my $s = <$fh>;
	close($fh);
	return $s;
}

# Comments, strings and character constants become a space.
sub strip {
	my ($s) = @_;
	$s =~ s{/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'}
	    { }gs;
	return $s;
}

# File-level definitions of one .c file (preprocessor lines removed).
sub definitions {
	my ($n, $s) = @_;
	my ($depth, $head, $outer) = (0, '', '');

	$s =~ s/^[ \t]*#(?:[^\n]*\\\n)*[^\n]*//mg;
	for my $t ($s =~ /([{};]|[^{};]+)/g) {
		if ($t eq '{') {
			# A function; else a struct type or an initializer,
			# whose declaration goes on after its "}".
			$outer = define($n, $head, 1) ? '' : $head
			    if $depth == 0;
			$depth++;
			$head = '';
		} elsif ($t eq '}') {
			$depth-- if $depth > 0;
			$head = $depth == 0 && $outer ne '' ? "$outer}" : '';
		} elsif ($t eq ';') {
			define($n, $head, 0) if $depth == 0;
			($head, $outer) = ('', '') if $depth == 0;
		} elsif ($depth == 0) {
			$head .= $t;
		}
	}
}

sub define {
	my ($n, $head, $brace) = @_;
	my ($name, $static);

	$static = $head =~ /\b(?:static|extern|typedef)\b/;
	if ($brace && $head !~ /[=}]/ &&
	    $head =~ /(\w+)\s*\((?:[^()]|\([^()]*\))*\)\s*$/s) {
		$defs{$n}{$1} = 1;	# a function
		$owner{$1} = $n unless $static;
		return 1;
	}
	$head =~ s/.*\}//s;		# after a struct body
	if ($head =~ /(\w+)\s*(?:\[[^\]]*\]\s*)*=/s ||
	    (!$brace && $head !~ /\(/ &&
	    $head =~ /[\w*]\s*\**(\w+)\s*(?:\[[^\]]*\]\s*)*$/s)) {
		$name = $1;		# a variable
	}
	return 0 unless defined $name &&
	    $head !~ /^\s*(?:struct|union|enum)\s+\w+\s*$/s;
	$defs{$n}{$name} = 1;
	$owner{$name} = $n unless $static;
	return 0;
}

for my $f (sort(glob("$dir/*.c"), glob("$dir/*.h"))) {
	(my $n = $f) =~ s{.*/}{};
	my $s = slurp($f);

	while ($s =~ /^[ \t]*#[ \t]*include[ \t]*"([^"]+)"/mg) {
		$inc{$n}{$1} = 1 if -e "$dir/$1";
	}
	next unless $n =~ /\.c$/;
	$s = strip($s);
	definitions($n, $s);
	$s =~ s/^[ \t]*#[ \t]*include[^\n]*//mg;
	$s =~ s/(?:\.|->)\s*[A-Za-z_]\w*/ /g;	# struct members
	$refs{$n} = $s;
}

my %calls;
for my $n (sort keys %refs) {
	my %seen;

	for my $id ($refs{$n} =~ /\b([A-Za-z_]\w*)\b/g) {
		next if $seen{$id}++ || $defs{$n}{$id};
		my $o = $owner{$id};
		next unless defined $o && $o ne $n;
		push @{$calls{$n}{$o}}, $id;
	}
}

# Tarjan's strongly connected components; each one with more than one
# file holds a cycle.
sub components {
	my ($g) = @_;
	my (%index, %low, %on, @stack, @out);
	my $i = 0;
	my $visit;

	$visit = sub {
		my ($v) = @_;
		$index{$v} = $low{$v} = $i++;
		push @stack, $v;
		$on{$v} = 1;
		for my $w (sort keys %{$g->{$v} // {}}) {
			if (!defined $index{$w}) {
				$visit->($w);
				$low{$v} = $low{$w} if $low{$w} < $low{$v};
			} elsif ($on{$w} && $index{$w} < $low{$v}) {
				$low{$v} = $index{$w};
			}
		}
		return if $low{$v} != $index{$v};
		my (@c, $w);
		do {
			$w = pop @stack;
			$on{$w} = 0;
			push @c, $w;
		} while ($w ne $v);
		push @out, [sort @c] if @c > 1;
	};
	for my $v (sort keys %$g) {
		$visit->($v) unless defined $index{$v};
	}
	return @out;
}

# The shortest path from the first file of a component back to itself.
sub one_cycle {
	my ($g, $c) = @_;
	my %in = map { $_ => 1 } @$c;
	my $start = $c->[0];
	my %prev;
	my @queue = ($start);

	while (@queue) {
		my $v = shift @queue;
		for my $w (sort keys %{$g->{$v}}) {
			next unless $in{$w};
			if ($w eq $start) {
				my @path = ($start, $v);
				push @path, $prev{$path[-1]}
				    while $path[-1] ne $start;
				return reverse @path;
			}
			next if exists $prev{$w};
			$prev{$w} = $v;
			push @queue, $w;
		}
	}
	return ();
}

sub report {
	my ($g, $what) = @_;
	my @comps = components($g);

	for my $c (@comps) {
		my @p = one_cycle($g, $c);
		my %in = map { $_ => 1 } @$c;

		print "lint: $what cycle: ", join(' -> ', @p), "\n";
		for my $a (@$c) {
			for my $b (sort keys %{$g->{$a}}) {
				next unless $in{$b};
				my $e = $g->{$a}{$b};
				print "    $a -> $b",
				    (ref $e ? " (@{[sort @$e]})" : ''), "\n";
			}
		}
	}
	return scalar @comps;
}

my $bad = report(\%calls, 'call') + report(\%inc, 'include');
if ($bad) {
	print "lint: files must call and include only downward ",
	    "(see README, Hacking)\n";
	exit 1;
}
exit 0;
