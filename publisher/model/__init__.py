"""The content model: an issue (its front matter, validated) and its one Markdown parse."""
