from rest_framework.routers import SimpleRouter

from switchyard.products import api

router = SimpleRouter()
router.register("products", api.ProductViewSet, basename="product")

urlpatterns = router.urls
