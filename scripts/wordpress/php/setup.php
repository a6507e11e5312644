<?php
/**
 * Installs and fills one fixture site through WordPress's own PHP API.
 *
 * usage: WP_FIXTURE_ROOT=<document root> php setup.php NAME THEME SEED POSTS
 *
 * Deterministic for a seed: authors, categories, tags, posts (some in two categories),
 * threaded comments (replies, so that ?replytocom= links appear), and posts modified
 * after publication (post_modified set apart from post_date).
 */

require __DIR__ . '/lib.php';

[ , $name, $theme, $seed, $count ] = $argv + array( null, null, null, '15', '150' );
if ( ! $name || ! $theme ) {
	fwrite( STDERR, "usage: setup.php NAME THEME SEED POSTS\n" );
	exit( 2 );
}
// No mail leaves the fixture (WordPress would mail the new site's admin).
function wp_mail() {
	return true;
}
fixture_load_wordpress( true );
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/taxonomy.php';

mt_srand( (int) $seed * 1000 + crc32( $name ) % 1000 );

function pick( array $a ) {
	return $a[ mt_rand( 0, count( $a ) - 1 ) ];
}

$titles = array(
	'bloc'      => 'Le Bloc-notes du Val',
	'classique' => 'La Gazette classique',
);
$result = wp_install( $titles[ $name ] ?? $name, 'admin', 'admin@example.org', true, '', 'fixture-' . $name, 'fr_FR' );
wp_set_current_user( $result['user_id'] );
kses_remove_filters();

// WordPress's sample content: the post and its comment go, the sample page stays (a page
// is not an article).
wp_delete_post( 1, true );

foreach ( array(
	'blogdescription'      => 'Actualités de la vallée, site de test de glaneur',
	'timezone_string'      => 'Europe/Paris',
	'date_format'          => 'j F Y',
	'time_format'          => 'G\hi',
	'start_of_week'        => 1,
	'posts_per_page'       => 10,
	'default_comment_status' => 'open',
	'thread_comments'      => 1,
	'thread_comments_depth' => 5,
	'page_comments'        => 0,
	'comment_registration' => 0,
	'comments_notify'      => 0,
	'moderation_notify'    => 0,
	'show_avatars'         => 0,   // avatars are images on gravatar.com: off the loopback
	'blog_public'          => 1,
	'WPLANG'               => 'fr_FR',
) as $option => $value ) {
	update_option( $option, $value );
}
switch_to_locale( 'fr_FR' );
// The variants (see wp-fixture.sh): permalink structure, whether the theme shows the
// modified date, and the extras a site at large has (see fixture_extras).
$variants = array(
	'bloc'      => array( '/%year%/%monthnum%/%day%/%postname%/', true, false ),
	'classique' => array( '/%year%/%monthnum%/%day%/%postname%/', true, false ),
	'simple'    => array( '', false, true ),                          // plain: /?p=123, WordPress's default
	'numero'    => array( '/archives/%post_id%', false, true ),       // numeric
	'mois'      => array( '/%year%/%monthnum%/%postname%/', false, true ), // month and name
	'nom'       => array( '/%postname%/', false, true ),              // post name
);
[ $permalinks, $modified_shown, $extras ] = $variants[ $name ] ?? $variants['bloc'];
update_option( 'glaneur_fixture_modified_shown', $modified_shown ? 1 : 0 );
if ( $extras ) {
	// Comments paged two top-level threads a page (/slug/comment-page-2/, ?cpage=2).
	update_option( 'page_comments', 1 );
	update_option( 'comments_per_page', 2 );
}
$GLOBALS['wp_rewrite']->set_permalink_structure( $permalinks );
$GLOBALS['wp_rewrite']->set_category_base( '' );
$GLOBALS['wp_rewrite']->set_tag_base( '' );
wp_update_term( 1, 'category', array( 'name' => 'Non classé', 'slug' => 'non-classe' ) );

if ( 'bloc' !== $name && 'classique' !== $name ) {
	switch_theme( $theme );   // the stock theme, as installed
} elseif ( 'twentytwentyone' === $theme ) {
	switch_theme( 'twentytwentyone-glaneur' );
} else {
	switch_theme( $theme );
	fixture_block_post_meta( $theme );
}
if ( $extras && 'twentytwentyone' === $theme ) {
	fixture_widgets();
}
flush_rewrite_rules( false );

// Authors with display names (accents included).
$authors = array();
foreach ( array(
	array( 'clefevre', 'Camille', 'Lefèvre' ),
	array( 'jbmoreau', 'Jean-Baptiste', 'Moreau' ),
	array( 'emartin', 'Élodie', 'Martin' ),
	array( 'ndubois', 'Nicolas', 'Dubois' ),
	array( 'sgarnier', 'Sophie', 'Garnier' ),
	array( 'hbertrand', 'Hugo', 'Bertrand' ),
) as [ $login, $first, $last ] ) {
	$authors[] = wp_insert_user( array(
		'user_login'   => $login,
		'user_pass'    => 'fixture-' . $login,
		'user_email'   => $login . '@example.org',
		'first_name'   => $first,
		'last_name'    => $last,
		'display_name' => "$first $last",
		'role'         => 'author',
	) );
}

$categories = array();
foreach ( array( 'Économie', 'Politique', 'Culture', 'Sciences', 'Sport', 'International', 'Société', 'Environnement' ) as $c ) {
	$categories[] = wp_insert_category( array( 'cat_name' => $c ) );
}
if ( $extras ) {
	// Child categories (a post in one shows it alone; WordPress lists a post's categories by name).
	$categories[] = wp_insert_category( array( 'cat_name' => 'Football', 'category_parent' => $categories[4] ) );
	$categories[] = wp_insert_category( array( 'cat_name' => 'Musique', 'category_parent' => $categories[2] ) );
}
$tags = array( 'élections', 'budget', 'climat', 'football', 'cinéma', 'santé', 'école', 'transports',
	'agriculture', 'numérique', 'Europe', 'emploi', 'musique', 'recherche', 'logement', 'énergie' );

// Two stock pages, as a small news site has.
foreach ( array( 'À propos' => 'Le Bloc-notes est un journal de test.', 'Contact' => 'Écrivez-nous.' ) as $t => $c ) {
	wp_insert_post( array( 'post_type' => 'page', 'post_status' => 'publish', 'post_title' => $t,
		'post_content' => "<!-- wp:paragraph -->\n<p>$c</p>\n<!-- /wp:paragraph -->" ) );
}

wp_defer_term_counting( true );
wp_defer_comment_counting( true );
$tz    = wp_timezone();
$start = ( new DateTimeImmutable( '2023-01-02 07:00', $tz ) )->getTimestamp();
$span  = ( new DateTimeImmutable( '2024-12-20 20:00', $tz ) )->getTimestamp() - $start;
$used  = array();
$posts = 0;
while ( $posts < (int) $count ) {
	$title = fixture_title();
	if ( isset( $used[ $title ] ) ) {
		continue;
	}
	$used[ $title ] = true;
	$published = ( new DateTimeImmutable( '@' . ( $start + intdiv( $span, (int) $count ) * $posts + mt_rand( 0, 3600 * 20 ) ) ) )
		->setTimezone( $tz );
	$published = $published->setTime( (int) $published->format( 'H' ), (int) $published->format( 'i' ), 0 );
	$cats = array( pick( $categories ) );
	if ( mt_rand( 1, 100 ) <= 20 ) {
		$cats[] = pick( array_values( array_diff( $categories, $cats ) ) );
	}
	if ( $extras && 1 === $posts % 7 ) {
		$cats = array();   // no category: WordPress files it under the default, "Non classé"
	}
	$post_tags = array();
	for ( $i = mt_rand( 0, 4 ); $i > 0; $i-- ) {
		$post_tags[] = pick( $tags );
	}
	$id = wp_insert_post( array(
		'post_type'      => 'post',
		'post_status'    => 'publish',
		'post_title'     => $title,
		'post_content'   => ( $extras && 2 === $posts % 9 ) ? fixture_body() . "\n\n<!--nextpage-->\n\n" . fixture_body() : fixture_body(),
		'post_excerpt'   => '',
		'post_author'    => pick( $authors ),
		'post_date'      => $published->format( 'Y-m-d H:i:s' ),
		'post_date_gmt'  => gmdate( 'Y-m-d H:i:s', $published->getTimestamp() ),
		'post_category'  => $cats,
		'tags_input'     => array_values( array_unique( $post_tags ) ),
		'comment_status' => 'open',
	), true );
	if ( is_wp_error( $id ) ) {
		fwrite( STDERR, $id->get_error_message() . "\n" );
		exit( 1 );
	}
	fixture_comments( $id, $published );
	if ( $extras ) {
		fixture_extras( $id, $posts, $published );
	}
	// 70 % of the posts are corrected after publication (WordPress sets post_modified
	// to post_date on insert: set it apart directly, as a later edit would).
	$corrected = mt_rand( 1, 100 ) <= 70;
	$updated   = $extras && 3 === $posts % 5;
	if ( $updated ) {
		// Updated several times through WordPress (revisions kept), the last edit dated below.
		for ( $k = 1; $k <= 2; $k++ ) {
			wp_update_post( array( 'ID' => $id, 'post_content' => get_post( $id )->post_content
				. "\n\n<!-- wp:paragraph -->\n<p>" . esc_html( "Mise à jour n° $k : " . fixture_sentence() ) . "</p>\n<!-- /wp:paragraph -->" ) );
		}
	}
	if ( $corrected || $updated ) {
		$modified = $published->modify( '+' . mt_rand( 20, 60 * 24 * 60 ) . ' minutes' );
		$GLOBALS['wpdb']->update( $GLOBALS['wpdb']->posts, array(
			'post_modified'     => $modified->format( 'Y-m-d H:i:s' ),
			'post_modified_gmt' => gmdate( 'Y-m-d H:i:s', $modified->getTimestamp() ),
		), array( 'ID' => $id ) );
		clean_post_cache( $id );
	}
	$posts++;
}
wp_defer_term_counting( false );
wp_defer_comment_counting( false );
echo "$name: $posts posts\n";

/**
 * What a site at large has besides plain posts: sticky posts, images linked to their
 * attachment page, and on a classic theme the stock widgets (archives by month, calendar
 * with day archives, categories, recent posts and comments, search form, tag cloud).
 */
function fixture_extras( int $id, int $n, DateTimeImmutable $published ): void {
	global $wpdb;
	if ( 4 === $n || 11 === $n ) {
		stick_post( $id );
	}
	if ( 0 === $n % 6 ) {
		// A 1×1 PNG, attached to the post and linked to its attachment page.
		$png  = base64_decode( 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==' );
		$file = wp_upload_bits( "illustration-$n.png", null, $png, $published->format( 'Y/m' ) );
		if ( $file['error'] ) {
			fwrite( STDERR, $file['error'] . "\n" );
			exit( 1 );
		}
		$att = wp_insert_attachment( array(
			'post_mime_type' => 'image/png',
			'post_title'     => "Illustration $n",
			'post_status'    => 'inherit',
			'post_date'      => $published->format( 'Y-m-d H:i:s' ),
		), $file['file'], $id );
		$link  = get_attachment_link( $att );
		$block = "<!-- wp:image {\"id\":$att,\"linkDestination\":\"attachment\"} -->\n<figure class=\"wp-block-image\"><a href=\""
			. esc_url( $link ) . '"><img src="' . esc_url( $file['url'] ) . "\" alt=\"Illustration $n\" class=\"wp-image-$att\"/></a>"
			. "<figcaption>Illustration $n</figcaption></figure>\n<!-- /wp:image -->\n\n";
		$wpdb->update( $wpdb->posts, array( 'post_content' => $block . get_post( $id )->post_content ), array( 'ID' => $id ) );
		clean_post_cache( $id );
	}
}

/** The stock widgets of a classic theme's sidebar, as a new install has them (Twenty Twenty-One shows them in its footer). */
function fixture_widgets(): void {
	$widgets = array(
		'search'          => array( 'title' => '' ),
		'recent-posts'    => array( 'title' => '', 'number' => 5 ),
		'recent-comments' => array( 'title' => '', 'number' => 5 ),
		'archives'        => array( 'title' => '', 'count' => 0, 'dropdown' => 0 ),
		'categories'      => array( 'title' => '', 'count' => 0, 'hierarchical' => 1, 'dropdown' => 0 ),
		'calendar'        => array( 'title' => '' ),
		'tag_cloud'       => array( 'title' => '', 'taxonomy' => 'post_tag' ),
	);
	$sidebar = array();
	foreach ( $widgets as $base => $settings ) {
		update_option( "widget_$base", array( 2 => $settings, '_multiwidget' => 1 ) );
		$sidebar[] = "$base-2";
	}
	update_option( 'sidebars_widgets', array( 'wp_inactive_widgets' => array(), 'sidebar-1' => $sidebar, 'array_version' => 3 ) );
}

/** The customised post-meta template part of the block theme, in French, as a site editor would save it. */
function fixture_block_post_meta( string $theme ): void {
	$content = <<<'HTML'
<!-- wp:group {"style":{"spacing":{"margin":{"top":"var:preset|spacing|70"}}},"layout":{"type":"constrained"}} -->
<div class="wp-block-group" style="margin-top:var(--wp--preset--spacing--70)"><!-- wp:separator {"opacity":"css","align":"wide","className":"is-style-wide"} -->
<hr class="wp-block-separator alignwide has-css-opacity is-style-wide"/>
<!-- /wp:separator -->

<!-- wp:columns {"align":"wide","style":{"spacing":{"margin":{"top":"var:preset|spacing|30"},"blockGap":"var:preset|spacing|30"}},"fontSize":"small"} -->
<div class="wp-block-columns alignwide has-small-font-size" style="margin-top:var(--wp--preset--spacing--30)"><!-- wp:column {"style":{"spacing":{"blockGap":"0px"}}} -->
<div class="wp-block-column"><!-- wp:group {"style":{"spacing":{"blockGap":"0.5ch"}},"layout":{"type":"flex"}} -->
<div class="wp-block-group"><!-- wp:paragraph -->
<p>Publié le</p>
<!-- /wp:paragraph -->

<!-- wp:post-date /-->

<!-- wp:paragraph -->
<p>dans</p>
<!-- /wp:paragraph -->

<!-- wp:post-terms {"term":"category"} /--></div>
<!-- /wp:group -->

<!-- wp:group {"style":{"spacing":{"blockGap":"0.5ch"}},"layout":{"type":"flex"}} -->
<div class="wp-block-group"><!-- wp:paragraph -->
<p>Mis à jour le</p>
<!-- /wp:paragraph -->

<!-- wp:post-date {"displayType":"modified"} /--></div>
<!-- /wp:group -->

<!-- wp:group {"style":{"spacing":{"blockGap":"0.5ch"}},"layout":{"type":"flex"}} -->
<div class="wp-block-group"><!-- wp:paragraph -->
<p>par</p>
<!-- /wp:paragraph -->

<!-- wp:post-author {"showAvatar":false} /--></div>
<!-- /wp:group --></div>
<!-- /wp:column -->

<!-- wp:column {"style":{"spacing":{"blockGap":"0px"}}} -->
<div class="wp-block-column"><!-- wp:group {"style":{"spacing":{"blockGap":"0.5ch"}},"layout":{"type":"flex","orientation":"vertical"}} -->
<div class="wp-block-group"><!-- wp:paragraph -->
<p>Étiquettes :</p>
<!-- /wp:paragraph -->

<!-- wp:post-terms {"term":"post_tag"} /--></div>
<!-- /wp:group --></div>
<!-- /wp:column --></div>
<!-- /wp:columns --></div>
<!-- /wp:group -->
HTML;
	$id = wp_insert_post( array(
		'post_type'    => 'wp_template_part',
		'post_status'  => 'publish',
		'post_name'    => 'post-meta',
		'post_title'   => 'Post Meta',
		'post_content' => $content,
	), true );
	if ( is_wp_error( $id ) ) {
		fwrite( STDERR, $id->get_error_message() . "\n" );
		exit( 1 );
	}
	wp_set_object_terms( $id, $theme, 'wp_theme' );
	wp_set_object_terms( $id, 'uncategorized', 'wp_template_part_area' );
}

function fixture_title(): string {
	$subjects = array( 'La mairie', 'Le conseil régional', "L'université", 'Le club de rugby', 'La préfecture',
		"L'orchestre municipal", 'Les agriculteurs', 'Le gouvernement', 'La start-up locale', 'Les lycéens',
		"L'hôpital", 'La coopérative', 'Le musée des Beaux-Arts', 'Les commerçants', "L'équipe de recherche",
		'Le syndicat des eaux', 'La compagnie de bus', "L'association des riverains" );
	$verbs = array( 'annonce', 'lance', 'dévoile', 'conteste', 'prépare', 'reporte', 'célèbre', 'présente',
		'finance', 'rejette', 'adopte', 'inaugure' );
	$objects = array( 'un plan de rénovation', 'une nouvelle saison', 'un budget en hausse', "l'ouverture d'un site",
		'une étude sur le climat', 'un festival d’été', 'la fermeture d’une ligne', 'un partenariat européen',
		'des mesures d’urgence', 'un programme numérique', 'la réforme des horaires', 'un concours de jeunes talents',
		'une consultation publique', 'la construction d’un pont' );
	$tails = array( '', '', '', ' pour 2025', ' malgré les critiques', ' dans la vallée', ' : « une première »',
		' après deux ans de débats', ' (mise à jour)', ' – le point complet' );
	return pick( $subjects ) . ' ' . pick( $verbs ) . ' ' . pick( $objects ) . pick( $tails );
}

function fixture_sentence(): string {
	$openers = array( 'Selon les premiers chiffres,', 'Dans un communiqué publié mardi,', 'Pour les élus de l’opposition,',
		'D’après plusieurs témoins,', 'Au terme de la réunion,', 'Sur le terrain,', 'Depuis le début de l’année,',
		'À en croire les responsables du projet,', 'Comme l’an dernier,', 'Interrogée par notre rédaction,' );
	$subjects = array( 'la direction', 'le maire', 'une partie des habitants', 'la commission', 'les enseignants',
		'le président du département', 'les bénévoles', 'la chambre de commerce', 'les chercheurs', 'la ministre' );
	$verbs = array( 'estime que', 'rappelle que', 'assure que', 'regrette que', 'souligne que', 'observe que', 'craint que' );
	$facts = array( 'le calendrier sera tenu', 'les travaux dureront au moins dix-huit mois',
		'le coût dépasse désormais 4,2 millions d’euros', 'la fréquentation a progressé de 12 %',
		'les inscriptions restent ouvertes jusqu’au 15 mars', 'aucune solution n’a encore été trouvée',
		'la concertation doit se poursuivre', 'les premiers résultats sont encourageants',
		'la décision sera rendue publique la semaine prochaine', 'le dossier a pris du retard',
		'les riverains seront associés aux choix', 'l’État apportera une aide exceptionnelle' );
	$ends = array( '.', '.', '.', ', a-t-on appris jeudi.', ', selon nos informations.', ' dès cet automne.', ' en 2025.' );
	return pick( $openers ) . ' ' . pick( $subjects ) . ' ' . pick( $verbs ) . ' ' . pick( $facts ) . pick( $ends );
}

function fixture_paragraph(): string {
	$s = array();
	for ( $i = mt_rand( 2, 5 ); $i > 0; $i-- ) {
		$s[] = fixture_sentence();
	}
	return implode( ' ', $s );
}

/** Gutenberg block markup: paragraphs, sometimes a subheading, a list or a quote. */
function fixture_body(): string {
	$blocks = array();
	$n      = mt_rand( 3, 8 );
	for ( $i = 0; $i < $n; $i++ ) {
		$blocks[] = "<!-- wp:paragraph -->\n<p>" . esc_html( fixture_paragraph() ) . "</p>\n<!-- /wp:paragraph -->";
		$r = mt_rand( 1, 100 );
		if ( $i > 0 && $r <= 12 ) {
			$blocks[] = "<!-- wp:heading -->\n<h2>" . esc_html( pick( array( 'Un projet contesté', 'Les chiffres clés',
				'Et maintenant ?', 'Ce qui change', 'Le point de vue des habitants', 'Prochaine étape' ) ) )
				. "</h2>\n<!-- /wp:heading -->";
		} elseif ( $r <= 18 ) {
			$items = '';
			for ( $k = mt_rand( 2, 4 ); $k > 0; $k-- ) {
				$items .= '<li>' . esc_html( rtrim( fixture_sentence(), '.' ) ) . '</li>';
			}
			$blocks[] = "<!-- wp:list -->\n<ul>$items</ul>\n<!-- /wp:list -->";
		} elseif ( $r <= 23 ) {
			$blocks[] = "<!-- wp:quote -->\n<blockquote class=\"wp-block-quote\"><!-- wp:paragraph -->\n<p>"
				. esc_html( fixture_sentence() ) . "</p>\n<!-- /wp:paragraph --></blockquote>\n<!-- /wp:quote -->";
		}
	}
	return implode( "\n\n", $blocks );
}

/** 0 to 5 approved comments, about a third of them replies to an earlier one. */
function fixture_comments( int $post_id, DateTimeImmutable $published ): void {
	$names = array( 'Martine R.', 'Paul', 'Yasmina B.', 'Gérard du 12', 'Léa', 'Thomas V.', 'Inès', 'Marc-Antoine' );
	$lines = array( 'Merci pour cet article très complet.', 'Enfin une bonne nouvelle pour le quartier !',
		'Je ne suis pas d’accord avec la conclusion.', 'Quelqu’un sait-il quand commencent les travaux ?',
		'Tout cela reste très flou, à suivre.', 'Bravo aux bénévoles.', 'Il faudrait aussi parler du stationnement.' );
	if ( mt_rand( 1, 100 ) > 55 ) {
		return;
	}
	$ids  = array();
	$when = $published;
	for ( $i = mt_rand( 1, 5 ); $i > 0; $i-- ) {
		$when   = $when->modify( '+' . mt_rand( 10, 600 ) . ' minutes' );
		$parent = ( $ids && mt_rand( 1, 100 ) <= 35 ) ? pick( $ids ) : 0;
		$author = pick( $names );
		$ids[]  = wp_insert_comment( array(
			'comment_post_ID'      => $post_id,
			'comment_author'       => $author,
			'comment_author_email' => sanitize_title( $author ) . '@example.org',
			'comment_content'      => pick( $lines ),
			'comment_parent'       => $parent,
			'comment_approved'     => 1,
			'comment_date'         => $when->format( 'Y-m-d H:i:s' ),
			'comment_date_gmt'     => gmdate( 'Y-m-d H:i:s', $when->getTimestamp() ),
		) );
	}
}
