<?php
/**
 * The truth of one fixture site, read back from WordPress: one JSON object per published
 * post (see fixture_truth_row in lib.php), oldest first.
 *
 * usage: WP_FIXTURE_ROOT=<document root> php truth.php > truth.jsonl
 */

require __DIR__ . '/lib.php';
fixture_load_wordpress();
switch_to_locale( 'fr_FR' );

$ids = get_posts( array(
	'post_type'        => 'post',
	'post_status'      => 'publish',
	'numberposts'      => -1,
	'orderby'          => 'date',
	'order'            => 'ASC',
	'fields'           => 'ids',
	'suppress_filters' => true,
) );
foreach ( $ids as $id ) {
	echo fixture_json( fixture_truth_row( get_post( $id ) ) );
}
