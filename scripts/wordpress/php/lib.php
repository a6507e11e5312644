<?php
/**
 * Shared by the glaneur WordPress fixture scripts (scripts/wordpress/wp-fixture.sh runs
 * them with the php CLI): loads WordPress from the site's document root and turns a post
 * into one row of the truth (truth.jsonl).
 */

function fixture_load_wordpress( bool $installing = false ): void {
	$root = getenv( 'WP_FIXTURE_ROOT' );
	if ( ! $root || ! is_file( $root . '/wp-load.php' ) ) {
		fwrite( STDERR, "WP_FIXTURE_ROOT must name a site's document root\n" );
		exit( 2 );
	}
	if ( $installing ) {
		define( 'WP_INSTALLING', true );
	}
	// WordPress reads these when it builds URLs and checks requests.
	$_SERVER['HTTP_HOST']   = 'localhost';
	$_SERVER['REQUEST_URI'] = '/';
	$_SERVER['SERVER_NAME'] = 'localhost';
	global $wpdb, $wp_rewrite, $wp_query, $wp, $post;
	require_once $root . '/wp-load.php';
}

/** Text of rendered HTML: block-level ends become line breaks, entities decoded. */
function fixture_html_to_text( string $html ): string {
	$html = preg_replace( '#<(script|style)\b[^>]*>.*?</\1>#si', '', $html );
	$html = preg_replace( '#</(p|h[1-6]|li|blockquote|div|figcaption|pre|tr)>|<br\s*/?>#i', "$0\n", $html );
	$text = html_entity_decode( wp_strip_all_tags( $html, false ), ENT_QUOTES | ENT_HTML5, 'UTF-8' );
	$lines = array_map( fn( $l ) => trim( preg_replace( '/[ \t\x{00A0}]+/u', ' ', $l ) ), explode( "\n", $text ) );
	return implode( "\n", array_values( array_filter( $lines, fn( $l ) => '' !== $l ) ) );
}

/** One truth row: what WordPress itself says about a published post. */
function fixture_truth_row( WP_Post $p ): array {
	global $post;
	$post = $p;
	setup_postdata( $p );
	$cats = array_map( fn( $t ) => html_entity_decode( $t->name, ENT_QUOTES, 'UTF-8' ), get_the_category( $p->ID ) );
	$tags = array_map( fn( $t ) => html_entity_decode( $t->name, ENT_QUOTES, 'UTF-8' ), get_the_tags( $p->ID ) ?: array() );
	$author = get_userdata( (int) $p->post_author );
	$body = apply_filters( 'the_content', get_the_content( null, false, $p ) );
	$row = array(
		'id'          => $p->ID,
		'url'         => get_permalink( $p ),
		'title'       => html_entity_decode( get_the_title( $p ), ENT_QUOTES | ENT_HTML5, 'UTF-8' ),
		'categories'  => $cats,
		'tags'        => $tags,
		'author'      => $author ? $author->display_name : null,
		// ISO 8601 with the site's offset, to the minute (WordPress stores seconds; the
		// fixture's dates have none).
		'published'   => get_post_datetime( $p, 'date' )->format( 'Y-m-d\TH:iP' ),
		'modified'    => get_post_datetime( $p, 'modified' )->format( 'Y-m-d\TH:iP' ),
		'comments'    => (int) $p->comment_count,
		'body'        => fixture_html_to_text( $body ),
		'deleted'     => false,
		// Whether the theme prints the modified date at all (the stock themes do not: then
		// the page says nothing of a later change, and the date to find is `published`).
		'modified_shown' => (bool) get_option( 'glaneur_fixture_modified_shown', 1 ),
		'sticky'      => is_sticky( $p->ID ),
		'pages'       => substr_count( $p->post_content, '<!--nextpage-->' ) + 1,
	);
	wp_reset_postdata();
	return $row;
}

function fixture_json( array $row ): string {
	return json_encode( $row, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES ) . "\n";
}
