<?php
/**
 * Deletes N published posts for good (wp_delete_post, not the trash): their pages become
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
if ( count( $with_comments ) < $n ) {
	fwrite( STDERR, "fewer than $n posts with comments\n" );
	exit( 1 );
}
$step = intdiv( count( $with_comments ), $n + 1 );
for ( $i = 1; $i <= $n; $i++ ) {
	$post = get_post( $with_comments[ $i * $step ] );
	$row  = fixture_truth_row( $post );
	$row['deleted'] = true;
	if ( ! wp_delete_post( $post->ID, true ) ) {
		fwrite( STDERR, "could not delete post {$post->ID}\n" );
		exit( 1 );
	}
	echo fixture_json( $row );
}
