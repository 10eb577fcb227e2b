from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "switchyard.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from switchyard.insights import subscriptions
        from switchyard.insights.admin_figures import product_figures
        from switchyard.insights.project_figures import project_figures
        from switchyard.monitoring.figures import register_project_figures
        from switchyard.products.figures import register_product_figures

        subscriptions.register()
        register_product_figures(product_figures)
        register_project_figures(project_figures)
