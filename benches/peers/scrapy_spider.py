"""Peer of scripts/bench.sh: a Scrapy crawl of the shared test site, 16 concurrent requests,
robots.txt obeyed, no delay, article fields extracted with CSS selectors, written as JSONL.

    scrapy runspider benches/peers/scrapy_spider.py -a start=http://127.0.0.1:PORT/ -O out.jsonl
"""
from urllib.parse import urlparse

import scrapy
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule


class NewsSpider(CrawlSpider):
    name = "news"
    custom_settings = {
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "USER_AGENT": "scrapy-peer/0.1",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }
    rules = (Rule(LinkExtractor(), callback="parse_page", follow=True),)

    def __init__(self, start=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_urls = [start]
        self.allowed_domains = [urlparse(start).hostname]

    def parse_start_url(self, response):
        return self.parse_page(response)

    def parse_page(self, response):
        title = response.css("h1.entry-title::text").get()
        if title is None:
            return
        yield {
            "url": response.url,
            "title": title.strip(),
            "published": response.css("time.entry-date.published::attr(datetime)").get(),
            "categories": response.css('div.cat-links a[rel="category tag"]::text').getall(),
            "author": response.css('a[rel="author"]::text').get(),
            "body": "\n".join(
                "".join(p.css("::text").getall()).strip()
                for p in response.css("div.entry-content > p:not(.lire-aussi)")
            ),
            "related": response.css(".lire-aussi a::attr(href)").getall(),
        }
