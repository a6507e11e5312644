<?php
/**
 * Deletes N published posts for good (at most as many as the site has) (wp_delete_post, not the trash): their pages become
 * 404s. Picks, deterministically, posts with comments spread over the site's history, and
 * prints their truth rows (with "deleted": true) before deleting them.
 *
 * usage: WP_FIXTURE_ROOT=<document root> php delete.php [N] >> deleted.jsonl
 */

require __DIR__ . '/lib.php';
fixture_load_wordpress();
switch_to_locale( 'fr_FR' );

$n   = max( 1, (int) ( $argv[1] ?? 3 ) );
$ids = get_posts( array(
	'post_type'        => 'post',
	'post_status'      => 'publish',
	'numberposts'      => -1,
	'orderby'          => 'date',
	'order'            => 'ASC',
	'fields'           => 'ids',
	'suppress_filters' => true,
) );
$with_comments = array_values( array_filter( $ids, fn( $id ) => (int) get_post( $id )->comment_count > 0 ) );
// A small site may have fewer posts (or fewer with comments) than asked: delete what
// there is, posts with comments first, never the same post twice.
$n = min( $n, count( $ids ) );
if ( 0 === $n ) {
	fwrite( STDERR, "no published post to delete\n" );
	exit( 1 );
}
$pool = count( $with_comments ) >= $n ? $with_comments : array_values( $ids );
if ( $pool !== $with_comments ) {
	fwrite( STDERR, 'only ' . count( $with_comments ) . " posts with comments: deleting $n of all posts\n" );
}
for ( $i = 1; $i <= $n; $i++ ) {
	// Spread over the site's history: distinct indices since count( $pool ) >= $n.
	$id   = $pool[ intdiv( $i * count( $pool ), $n + 1 ) ];
	$post = get_post( $id );
	if ( ! $post instanceof WP_Post ) {
		fwrite( STDERR, "post $id not found\n" );
		exit( 1 );
	}
	$row  = fixture_truth_row( $post );
	$row['deleted'] = true;
	if ( ! wp_delete_post( $post->ID, true ) ) {
		fwrite( STDERR, "could not delete post {$post->ID}\n" );
		exit( 1 );
	}
	echo fixture_json( $row );
}
