<?php
/**
 * Child theme of the glaneur WordPress fixture.
 *
 * Twenty Twenty-One's pluggable posted-on line, with the modified date added the way
 * Twenty Seventeen and Twenty Nineteen write it: the publication date as
 * <time class="entry-date published">, the last change as <time class="updated"> after
 * a "Mis à jour le" label, when the post was modified after its publication.
 */

add_action( 'wp_enqueue_scripts', function () {
	wp_enqueue_style( 'twentytwentyone-glaneur-parent', get_template_directory_uri() . '/style.css', array(), '1.0' );
} );

function twenty_twenty_one_posted_on() {
	echo '<span class="posted-on">Publié le <time class="entry-date published" datetime="'
		. esc_attr( get_the_date( DATE_W3C ) ) . '">' . esc_html( get_the_date() ) . '</time></span>';
	if ( get_the_time( 'U' ) !== get_the_modified_time( 'U' ) ) {
		echo ' <span class="updated-on">Mis à jour le <time class="updated" datetime="'
			. esc_attr( get_the_modified_date( DATE_W3C ) ) . '">' . esc_html( get_the_modified_date() )
			. '</time></span>';
	}
}
