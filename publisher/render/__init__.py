"""Rendering: one issue into its email (MJML to HTML), plain text, article, images, feed
entries and MIME message; the web pages around them."""
